// What the volunteer page reports about itself to automation (`window.bricolagePage.snapshot()`): the
// contract between the page (apps/web/src/automation.ts) and headless farms (apps/farm).
export interface TabSnapshot {
  /** The page's phase: idle, starting, computing, waiting, paused, offline, stopping, stopped, failed. */
  readonly phase: string;
  readonly volunteer: string | null;
  /** `webgpu`, `wasm`, … once the device has been examined. */
  readonly backend: string | null;
  readonly adapter: string | null;
  readonly computed: number;
  readonly failed: number;
  /** Results the coordinator accepted (acknowledged submits). */
  readonly accepted: number;
  /** Results dropped because the coordinator refused them (expired lease, …). */
  readonly dropped: number;
  /** Computed results not yet acknowledged. */
  readonly outbox: number;
  /** From the coordinator's counters for this volunteer. */
  readonly validated: number;
  readonly rejected: number;
  readonly pending: number;
  readonly errors: number;
  readonly credit: number;
  readonly wuPerSecond: number | null;
  readonly dutyCycle: number | null;
  readonly computeMs: number;
  readonly wallMs: number;
  readonly reachable: boolean;
  readonly lastError: string | null;
}

export interface PageAutomation {
  snapshot(): Promise<TabSnapshot>;
  setThrottle(percent: number): void;
  /** Resolves when every computed result was acknowledged, or false after `timeoutMs`. */
  flush(timeoutMs: number): Promise<boolean>;
}

/** The page publishes its automation hook under this name on `window`. */
export const AUTOMATION_GLOBAL = 'bricolagePage';
