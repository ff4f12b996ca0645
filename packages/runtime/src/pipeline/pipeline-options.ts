// What the pipeline (pipeline.ts) is given: the coordinator's lease side, the compute side, its clock and its
// settings, and the counts it keeps. Apart from its loop, so that the loop's file holds the loop.
import type { BackendClass, Capabilities, LeasedJob } from '@bricolage/protocol';
import type { ComputeOutcome, PrepareOutcome } from '../compute/api';
import type { JobCheck } from '../client/job-verifier';
import type { VolunteerEvent } from '../events';
import type { AssetSource, Interrupted } from '../host';
import type { Outbox } from '../outbox';
import type { LeaseClient, LeaseClock } from './lease-queue';

export type PipelineClient = LeaseClient;

export interface PipelineCompute {
  prepare(job: string, spec: LeasedJob['spec'], backend: BackendClass, assets: AssetSource): Promise<PrepareOutcome>;
  /** May be called again before the previous run settled: runs execute in call order. */
  run(job: string, input: Uint8Array, budgetMs: number, signal?: AbortSignal): Promise<ComputeOutcome | Interrupted>;
  /**
   * Several units of one job in one call, each with its own outcome and budget (ComputeHost.runMany), and its own
   * abort signal when given one per input.
   */
  runMany?(
    job: string,
    inputs: readonly Uint8Array[],
    budgetMs: number,
    signal?: AbortSignal | readonly AbortSignal[],
  ): Promise<ComputeOutcome | Interrupted>[];
}

export interface PipelineClock extends LeaseClock {
  /** Monotonic ms for durations, on the scale of the worker's `startedAt`/`endedAt` (timeOrigin + now()). */
  monotonic(): number;
}

export interface PipelineOptions {
  readonly client: PipelineClient;
  readonly compute: PipelineCompute;
  readonly assets: AssetSource;
  readonly outbox: Outbox;
  readonly capabilities: Capabilities;
  /** Called whenever a result lands in the outbox. */
  readonly onResult: () => void;
  readonly emit: (event: VolunteerEvent) => void;
  readonly prefetch?: boolean;
  readonly throttle?: number;
  readonly project?: string;
  /** Upper bound on the coordinator's `retryAfter` when it has no work (it asks for 10 s). */
  readonly maxIdleWaitMs?: number;
  /** How often held leases are checked for renewal. */
  readonly heartbeatCheckMs?: number;
  /** How often the jobs of the units held are asked about, at a check (lease-renewal.ts JOB_CHECK_MS). */
  readonly jobCheckMs?: number;
  /** How long a pause keeps the units fetched ahead before they are given back (default 15 s). */
  readonly pausedHoldMs?: number;
  readonly clock?: PipelineClock;
  /** The projects chosen to serve (null: every project); `setProjects` changes it. */
  readonly projects?: readonly string[] | null;
  /** Checks a job's signature before anything of it is fetched or run (client/job-verifier.ts). */
  readonly verify?: (job: LeasedJob) => Promise<JobCheck>;
  /** Take back the key's open leases first (lease-queue.ts): this is the one page computing for its key. */
  readonly resume?: boolean;
}

export interface PipelineCounts {
  leased: number;
  computed: number;
  failed: number;
}

export const systemClock: PipelineClock = {
  now: () => Date.now(),
  monotonic: () => performance.timeOrigin + performance.now(),
};
