// What the adversary simulation talks to: a grid that volunteers join, lease from and return results to, and
// that a researcher fills with a job and reads results from. Two implementations: the real coordinator over
// HTTP (real-grid.ts), and a model of its store driven by the pure rules (model/): for the policies the
// coordinator does not run, and for the ones it runs at sizes HTTP cannot reach in a session.

/** One leased replica, as the volunteer sees it. */
export interface LeasedUnit {
  readonly lease: string;
  /** The researcher's tag for the unit (its index in the job), or null for a known-answer unit. */
  readonly unit: string;
  readonly input: Uint8Array;
}

export type Returned =
  | { readonly kind: 'ok'; readonly lease: string; readonly output: Uint8Array }
  | { readonly kind: 'error'; readonly lease: string };

export interface Member {
  readonly key: string;
  /** The client address it appears to come from. */
  readonly address: string;
}

/** A unit of the job the researcher uploads: ordinary (its tag is its index) or known-answer (`expected`). */
export interface UploadUnit {
  readonly tag: string;
  readonly input: Uint8Array;
  readonly expected?: Uint8Array;
}

export interface FinishedUnit {
  readonly state: 'validated' | 'failed';
  readonly output: Uint8Array | null;
}

export interface Grid {
  /** `coordinator` (the real one, over HTTP) or `model` (the store modelled in memory). */
  readonly kind: 'coordinator' | 'model';
  /** A new key from `address`, or null when the grid refuses it (too many new keys from there). */
  join(address: string): Promise<Member | null>;
  lease(member: Member, max: number): Promise<LeasedUnit[]>;
  /** Renews leases; the time left on each of them still open (ms, by the grid's clock), by lease. */
  heartbeat(member: Member, leases: readonly string[]): Promise<ReadonlyMap<string, number>>;
  /**
   * Gives leases back uncomputed, as a page that stops does (API.release): no result, no error. Returns how many
   * were open and given back.
   */
  release(member: Member, leases: readonly string[]): Promise<number>;
  /** Returns results; how many the grid accepted. */
  submit(member: Member, results: readonly Returned[]): Promise<number>;
  /** Replaces the active job by a new one with these units; earlier jobs are finished or abandoned. */
  startJob(units: readonly UploadUnit[]): Promise<void>;
  /** Whether every unit of the current job has finished (validated or failed). */
  finished(): Promise<boolean>;
  /** The current job's finished ordinary units, by tag. */
  results(): Promise<Map<string, FinishedUnit>>;
  /** Moves the clock on and lets expired leases go back to the queue. */
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}
