// The view model: one immutable view of a volunteer session for whoever draws it (the volunteer page's React
// tree, the widget's frame), changed only through `set`, with listeners told only when something changed.
import type { SwarmView } from '@bricolage/peer';
import type { Capabilities, HeldBack, ListedProject, Project, VolunteerStats } from '@bricolage/protocol';
import {
  type AuditReport,
  DEFAULT_SETTINGS,
  fingerprint,
  type StoredIdentity,
  type ProjectTally,
  type Settings,
  type StoredReceipt,
} from '@bricolage/receipts';
import type { DroppedResult, VolunteerState, VolunteerStatus } from '@bricolage/runtime';
import { type BatteryView, NO_BATTERY_API } from '../battery';
import { sameData } from '../same-data';

export type Phase =
  | 'loading'
  | 'idle'
  | 'starting'
  | 'computing'
  | 'waiting'
  | 'paused'
  | 'offline'
  | 'stopping'
  | 'stopped'
  | 'failed';

/** `offscreen`: the widget's card is out of view and its host asked to pause then. */
export type PauseReason = 'hidden' | 'offscreen' | 'battery' | null;

export interface DeviceView {
  /** What runs the demo's kind of job (WGSL): `webgpu` or `wasm`. */
  readonly backend: 'webgpu' | 'wasm' | null;
  readonly adapter: string | null;
  readonly fallbackAdapter: boolean;
  readonly cores: number;
}

/** The device as the page shows it: the backend WGSL jobs run on, the adapter, the cores. */
export function deviceView(capabilities: Capabilities): DeviceView {
  const gpu = capabilities.webgpu;
  const adapter = gpu
    ? [gpu.vendor, gpu.architecture, gpu.description].filter(Boolean).join(' ') || 'WebGPU adapter'
    : null;
  const backend = capabilities.backends.wgsl;
  return {
    backend: backend === 'webgpu' || backend === 'wasm' ? backend : null,
    adapter,
    fallbackAdapter: gpu?.isFallbackAdapter ?? false,
    cores: capabilities.hardwareConcurrency,
  };
}

/** The volunteer's key as the page shows it: the key, its fingerprint, and whether it was restored from a backup. */
export async function identityView(identity: StoredIdentity) {
  return {
    publicKey: identity.publicKey,
    fingerprint: await fingerprint(identity.publicKey),
    restored: identity.restoredAt !== undefined,
  };
}

export interface CurrentWork {
  readonly workUnit: string;
  readonly job: string;
  readonly jobName: string | null;
  readonly project: Project | null;
  readonly startedAt: number;
}

/** A job asset this tab fetched, from where, and how long it took (the Peers panel lists the last few). */
export interface AssetFetch {
  readonly hash: string;
  readonly bytes: number;
  readonly ms: number;
  readonly from: 'peers' | 'coordinator';
}

export interface Notice {
  readonly id: number;
  readonly kind: 'info' | 'success' | 'error';
  readonly title: string;
  readonly lines: readonly string[];
}

export interface View {
  readonly phase: Phase;
  /** Started and not stopped (computing, waiting, paused, or unable to reach the coordinator meanwhile). */
  readonly active: boolean;
  /** What the runtime says it is doing; `phase` is derived from it. */
  readonly runtimeState: VolunteerState;
  /** The store is open and the coordinator was asked for its state: the controls can be used. */
  readonly booted: boolean;
  readonly pauseReason: PauseReason;
  readonly fatal: string | null;
  readonly reachable: boolean;
  readonly unreachableSince: number | null;
  readonly coordinatorKey: string | null;
  /** Whether the grid lets volunteers meet (its discovery document says): null until read, or when it does not say. */
  readonly peersOn: boolean | null;
  /** The other grids' logs the coordinator honours (`honouredLogs` of its well-known): credit moves only between grids that honour each other. */
  readonly honouredLogs: readonly string[] | null;
  readonly keyChanged: { readonly was: string; readonly now: string } | null;
  readonly projects: readonly ListedProject[];
  readonly identity: { readonly publicKey: string; readonly fingerprint: string; readonly restored: boolean } | null;
  readonly settings: Settings;
  readonly battery: BatteryView;
  readonly device: DeviceView | null;
  readonly current: CurrentWork | null;
  /** The last work unit finished, shown between work units (most take milliseconds). */
  readonly last: { readonly workUnit: string; readonly elapsedMs: number } | null;
  /** Leased and not yet computed or failed. */
  readonly inHand: number;
  /** The project and job of the last work unit, kept between work units. */
  readonly serving: {
    readonly project: Project | null;
    readonly jobName: string | null;
    /** The key the job's signature held against; null: its project signs nothing; undefined: not checked yet. */
    readonly signer?: string | null;
  } | null;
  /** A job this tab computes for that publishes its results (the demo): its picture can be shown. */
  readonly picture: { readonly job: string; readonly name: string } | null;
  /** Recent per-WU compute times, for the progress estimate. */
  readonly typicalMs: number | null;
  readonly session: VolunteerStatus['counts'] | null;
  readonly outbox: number;
  readonly dropped: readonly DroppedResult[];
  /** Why the coordinator gives this key no work whatever it has (its recent errors, until when), as it said. */
  readonly heldBack: HeldBack | null;
  readonly stats: VolunteerStats | null;
  readonly wuPerMinute: number | null;
  readonly dutyCycle: number | null;
  /** The newest receipts, at most `receiptsShown`: a long-running volunteer holds far more than a page should. */
  readonly receipts: readonly StoredReceipt[];
  readonly receiptsShown: number;
  /** Receipts, credit and failed checks per project, over every receipt kept. */
  readonly totals: readonly ProjectTally[];
  readonly audit: AuditReport | null;
  readonly busy: {
    readonly verifying: boolean;
    readonly importing: boolean;
    readonly backup: boolean;
    readonly restoring: boolean;
  };
  readonly notices: readonly Notice[];
  /** The rooms of the projects this tab serves, once it has joined them (after Start). */
  readonly swarms: readonly SwarmView[];
  /** The last few job assets fetched, newest last. */
  readonly assetFetches: readonly AssetFetch[];
  /** `performance.now()` (ms since the page started loading) when Start was pressed and when the first WU began. */
  readonly timing: { readonly startPressed: number | null; readonly firstCompute: number | null };
}

/** Receipts listed at first. */
export const RECEIPTS_SHOWN = 50;

export const INITIAL_VIEW: View = {
  phase: 'loading',
  active: false,
  runtimeState: 'idle',
  booted: false,
  pauseReason: null,
  fatal: null,
  reachable: true,
  unreachableSince: null,
  coordinatorKey: null,
  peersOn: null,
  honouredLogs: null,
  keyChanged: null,
  projects: [],
  identity: null,
  settings: DEFAULT_SETTINGS,
  battery: NO_BATTERY_API,
  device: null,
  current: null,
  serving: null,
  picture: null,
  last: null,
  inHand: 0,
  typicalMs: null,
  session: null,
  outbox: 0,
  dropped: [],
  heldBack: null,
  stats: null,
  wuPerMinute: null,
  dutyCycle: null,
  receipts: [],
  receiptsShown: RECEIPTS_SHOWN,
  totals: [],
  audit: null,
  busy: { verifying: false, importing: false, backup: false, restoring: false },
  notices: [],
  swarms: [],
  assetFetches: [],
  timing: { startPressed: null, firstCompute: null },
};

/**
 * Whether the volunteer's settings pause the tab now for the battery (where the browser reports one): then it
 * computes for no grid, keeps no peer room and syncs no receipts on its own.
 */
export function pausedOnBattery(v: Pick<View, 'settings' | 'battery'>): boolean {
  return v.settings.pauseOnBattery && v.battery.supported && v.battery.charging === false;
}

/** Runtime states in which the volunteer is started and not stopped. */
export function isActive(state: VolunteerState): boolean {
  return (
    state === 'starting' || state === 'running' || state === 'waiting' || state === 'paused' || state === 'pausing'
  );
}

/** What the person is shown the session is doing, from the runtime's state and what is known of the coordinator. */
export function phaseOf(v: Pick<View, 'fatal' | 'booted' | 'runtimeState' | 'reachable'>): Phase {
  if (v.fatal) return 'failed';
  if (!v.booted) return 'loading';
  const state = v.runtimeState;
  if (state === 'starting') return 'starting';
  if (state === 'stopping') return 'stopping';
  const running = state === 'running' || state === 'waiting' || state === 'paused' || state === 'pausing';
  if (!v.reachable) return 'offline';
  if (!running) return state === 'stopped' ? 'stopped' : 'idle';
  // 'pausing': paused, with the work unit already in the worker still finishing.
  if (state === 'paused' || state === 'pausing') return 'paused';
  if (state === 'waiting') return 'waiting';
  return 'computing';
}

export class ViewModel {
  readonly #listeners = new Set<() => void>();
  #view: View;
  #noticeId = 0;

  constructor(initial: View = INITIAL_VIEW) {
    this.#view = initial;
  }

  // React's useSyncExternalStore contract.
  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };
  readonly view = (): View => this.#view;

  /**
   * Applies `patch`, keeping every value that did not change as it was, and tells the listeners only when
   * something did: the status is polled twice a second and most polls change nothing, and a page that renders
   * for nothing makes garbage for nothing (a farm runs many such pages for hours).
   */
  set(patch: Partial<Omit<View, 'phase' | 'active'>>): void {
    const before = this.#view;
    const changed: Partial<Record<keyof View, unknown>> = {};
    let any = false;
    for (const key of Object.keys(patch) as (keyof View)[]) {
      if (sameData(before[key], patch[key as keyof typeof patch])) continue;
      changed[key] = patch[key as keyof typeof patch];
      any = true;
    }
    if (any) this.#view = { ...before, ...(changed as Partial<View>) };
    const phase = phaseOf(this.#view);
    const active = isActive(this.#view.runtimeState);
    if (phase !== this.#view.phase || active !== this.#view.active) this.#view = { ...this.#view, phase, active };
    if (this.#view === before) return;
    for (const listener of this.#listeners) listener();
  }

  /** Shows a notice; the four newest are kept. */
  notify(kind: Notice['kind'], title: string, lines: readonly string[]): void {
    const notice: Notice = { id: ++this.#noticeId, kind, title, lines };
    this.set({ notices: [...this.#view.notices.slice(-3), notice] });
  }

  dismiss(id: number): void {
    this.set({ notices: this.#view.notices.filter((n) => n.id !== id) });
  }
}
