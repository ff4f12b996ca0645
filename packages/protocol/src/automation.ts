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
  /**
   * Results the coordinator already had: sent again because its answer was lost (an outage between its commit and
   * its reply). Acknowledged, never counted twice.
   */
  readonly repeated: number;
  /** Results that will not be delivered: the coordinator refused them (expired lease, …), or kept failing on them. */
  readonly dropped: number;
  /** Computed results not yet acknowledged. */
  readonly outbox: number;
  /** Whether the coordinator's counters below were read (until then they are 0). */
  readonly counted: boolean;
  /**
   * The same counters as read just before this page first started computing (null when they could not be
   * read then): what earlier runs of this identity had already earned.
   */
  readonly countedAtStart: { readonly validated: number; readonly rejected: number; readonly errors: number } | null;
  /** From the coordinator's counters for this volunteer, over its whole life (earlier runs included). */
  readonly validated: number;
  readonly rejected: number;
  readonly pending: number;
  readonly errors: number;
  readonly credit: number;
  readonly wuPerSecond: number | null;
  readonly dutyCycle: number | null;
  /** The duty cycle the runtime is set to keep, 0.01–1 (null before Start): the throttle, or its share of it when the tab serves several grids. */
  readonly throttle: number | null;
  readonly computeMs: number;
  readonly wallMs: number;
  readonly reachable: boolean;
  readonly lastError: string | null;
  /** The other grids the tab serves besides the page's own coordinator (the page's Other grids). */
  readonly grids: readonly GridSnapshot[];
}

/** Another coordinator served by the tab, with that grid's own counters for the tab's key. */
export interface GridSnapshot {
  /** Its origin. */
  readonly url: string;
  /** null until it was first asked. */
  readonly online: boolean | null;
  /** That grid's count of this volunteer's validated results, over its whole life (0 until read). */
  readonly validated: number;
  /** Its receipts kept in the tab, each verified against that grid's key. */
  readonly receipts: number;
}

export interface PageAutomation {
  snapshot(): Promise<TabSnapshot>;
  setThrottle(percent: number): void;
  /** Resolves when every computed result was acknowledged, or false after `timeoutMs`. */
  flush(timeoutMs: number): Promise<boolean>;
  /**
   * Serves the coordinator at `url` too, as the Other grids panel's Add does (it computes once Start is pressed);
   * true when the tab serves it, added now or before.
   */
  addGrid(url: string): Promise<boolean>;
}

declare global {
  interface Window {
    /** The volunteer page's automation hook, published by the page (undefined until its script has run). */
    bricolagePage?: PageAutomation;
  }
}
