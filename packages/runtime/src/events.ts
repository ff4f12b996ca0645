// What a volunteer reports to whoever drives it (a React page, a headless farm, a test): events as they
// happen, and a status snapshot on demand.
import type { BackendClass, HeldBack } from '@bricolage/protocol';
import type { ComputeErrorCode } from './executors/executor';

/** `pausing`: paused, but the work units already in the worker are still finishing. */
export type VolunteerState =
  | 'idle'
  | 'starting'
  | 'running'
  | 'waiting'
  | 'pausing'
  | 'paused'
  | 'stopping'
  | 'stopped';

export type VolunteerEvent =
  | { readonly type: 'state'; readonly state: VolunteerState }
  /** Leases this key held already, taken back by a page starting afresh (their results not yet sent). */
  | { readonly type: 'resumed'; readonly count: number }
  | {
      readonly type: 'leased';
      readonly lease: string;
      readonly workUnit: string;
      readonly job: string;
      /** The job's project and name, as the lease carried them: what a page shows of whom it serves. */
      readonly project: string;
      readonly jobName: string;
      /** The work unit's tag, when its job publishes its results (a demo's picture: where this tile goes). */
      readonly tag?: string;
    }
  /** A job's signature held against its project's key (`signer`), or the project signs nothing (null). */
  | { readonly type: 'verified'; readonly job: string; readonly project: string; readonly signer: string | null }
  | {
      readonly type: 'computed';
      readonly lease: string;
      readonly workUnit: string;
      readonly job: string;
      readonly backend: BackendClass;
      readonly elapsedMs: number;
      readonly outputHash: string;
      /** The output itself, as it goes into the outbox: a page may show it (its own tile of a picture). */
      readonly output: Uint8Array;
      /** When the worker started and finished it: `performance.timeOrigin + performance.now()`, ms. */
      readonly startedAt: number;
      readonly endedAt: number;
    }
  | {
      readonly type: 'failed';
      readonly lease: string;
      readonly workUnit: string;
      readonly job: string;
      readonly code: ComputeErrorCode;
      readonly message: string;
    }
  | {
      readonly type: 'submitted';
      readonly leases: readonly string[];
      readonly accepted: number;
      readonly repeated: number;
    }
  | { readonly type: 'dropped'; readonly lease: string; readonly code: string; readonly message: string }
  /** A result the coordinator failed on `failures` times on its own, moved out of delivery (kept in the outbox's set-aside entries). */
  | {
      readonly type: 'set-aside';
      readonly lease: string;
      readonly code: string;
      readonly message: string;
      readonly failures: number;
    }
  /** The coordinator holds work back from this key, or no longer does (null), whatever the grid has: see `heldBack`. */
  | { readonly type: 'held-back'; readonly heldBack: HeldBack | null }
  | { readonly type: 'worker-restarted'; readonly reason: string }
  | { readonly type: 'warning'; readonly message: string };

export type VolunteerEventType = VolunteerEvent['type'];
export type VolunteerEventOf<T extends VolunteerEventType> = Extract<VolunteerEvent, { type: T }>;

/**
 * A result that will not be delivered: refused by the coordinator, set aside after failing too often, or not stored
 * (the browser refused to write it to the outbox, again and again).
 */
export interface DroppedResult {
  readonly lease: string;
  readonly code: string;
  readonly message: string;
  readonly kind: 'refused' | 'set-aside' | 'not-stored';
}

export interface VolunteerStatus {
  readonly state: VolunteerState;
  readonly volunteer: string;
  /** Duty cycle in [0.1, 1]. */
  readonly throttle: number;
  readonly pauseWhenHidden: boolean;
  readonly hidden: boolean;
  readonly prefetch: boolean;
  /**
   * Why the coordinator's last answer gave this key nothing whatever the grid has (too many recent errors, until
   * when, on this device's clock: from the wait the answer asks for; its results no longer counted); null when it
   * gave work, or nothing for want of work.
   */
  readonly heldBack: HeldBack | null;
  readonly current: {
    readonly lease: string;
    readonly workUnit: string;
    readonly job: string;
    readonly backend: BackendClass;
  } | null;
  readonly counts: {
    readonly leased: number;
    /** Work units computed with a result that passed its self-checks. */
    readonly computed: number;
    /** Work units that ended in an error result (timeout, device lost, failed self-check…). */
    readonly failed: number;
    readonly accepted: number;
    readonly repeated: number;
    /** Results that will not be delivered: refused or not stored (by this page), or set aside. */
    readonly dropped: number;
    /**
     * Of those, the ones set aside after failing too often and still in the outbox: by an earlier page too where the
     * outbox is durable; none once put back into delivery (`retrySetAside`).
     */
    readonly setAside: number;
    readonly outbox: number;
  };
  /** Total time spent computing and wall time since start, in ms. */
  readonly computeMs: number;
  readonly wallMs: number;
  /** Over the last few work units: compute time ÷ wall time, and work units per second. */
  readonly dutyCycle: number | null;
  readonly wuPerSecond: number | null;
  /** ms from page load (performance.timeOrigin) until the first work unit started computing. */
  readonly firstComputeMs: number | null;
  readonly workerRestarts: number;
  readonly deviceLosses: number;
  readonly lastError: string | null;
  /** The most recent results that will not be delivered, and why (the last 50); the set-aside ones last. */
  readonly dropped: readonly DroppedResult[];
}

/** A minimal typed event emitter; listeners never break the emitter. */
export class Emitter {
  readonly #listeners = new Map<string, Set<(event: VolunteerEvent) => void>>();

  on<T extends VolunteerEventType | '*'>(
    type: T,
    listener: (event: T extends VolunteerEventType ? VolunteerEventOf<T> : VolunteerEvent) => void,
  ): () => void {
    let set = this.#listeners.get(type);
    if (!set) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    const l = listener as (event: VolunteerEvent) => void;
    set.add(l);
    return () => set.delete(l);
  }

  emit(event: VolunteerEvent): void {
    for (const key of [event.type, '*']) {
      for (const listener of this.#listeners.get(key) ?? []) {
        try {
          listener(event);
        } catch (error) {
          console.error('volunteer event listener failed', error);
        }
      }
    }
  }
}
