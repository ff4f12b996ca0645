// The work units leased ahead of the compute loop: asking the coordinator for more when the queue runs
// low, and getting the first few ready (input fetched, job prepared in the worker) while others compute.
// The compute loop (pipeline.ts) takes them from the front; lease-renewal.ts keeps their leases.
import type { BackendClass, Capabilities, LeaseAnswer, LeaseRequest, LeasedJob, LeasedUnit } from '@bricolage/protocol';
import { MAX_LEASE_REQUEST, fromBase64, sha256Hex } from '@bricolage/protocol';
import { leasedBackend } from '../capabilities';
import { backoffDelay } from '../client/backoff';
import { type ClientResult, type HeartbeatReply, type LeaveBudget, leaveBudget } from '../client/coordinator-client';
import type { JobCheck } from '../client/job-verifier';
import type { PrepareOutcome } from '../compute/api';
import type { VolunteerEvent } from '../events';
import type { ComputeErrorCode } from '../executors/executor';
import type { AssetSource } from '../host';
import type { Outbox } from '../outbox';

export interface LeaseClient {
  lease(request: LeaseRequest): Promise<ClientResult<LeaseAnswer>>;
  blob(hash: string): Promise<ClientResult<Uint8Array>>;
  /** Renews `leases`; with `jobs`, also learns which of the key's leases of them were withdrawn (lease-renewal.ts). */
  heartbeat(leases: readonly string[], jobs?: readonly string[]): Promise<ClientResult<HeartbeatReply>>;
  /** Gives leases back in requests that outlive the page (coordinator-client.ts). */
  releaseOnLeave?(leases: readonly string[], budget: LeaveBudget): void;
}

export interface Preparer {
  prepare(job: string, spec: LeasedJob['spec'], backend: BackendClass, assets: AssetSource): Promise<PrepareOutcome>;
}

export interface LeaseClock {
  /** Wall-clock epoch ms, comparable with lease deadlines. */
  now(): number;
  /** Monotonic ms for durations. */
  monotonic(): number;
}

export type Ready =
  | { readonly ok: true; readonly backend: BackendClass; readonly input: Uint8Array }
  | {
      readonly ok: false;
      readonly code: ComputeErrorCode | 'skip';
      readonly message: string;
      readonly backend?: BackendClass;
    };

export interface Work {
  readonly lease: LeasedUnit;
  readonly job: LeasedJob;
  /** When the lease was granted or last renewed (epoch ms). */
  leasedAt: number;
  deadline: number;
  /** Set when a heartbeat says the lease is no longer ours to compute. */
  gone: string | null;
  /** Input fetched and job prepared; started when the unit comes near the front of the queue. */
  ready: Promise<Ready> | null;
}

export interface LeaseQueueOptions {
  readonly client: LeaseClient;
  readonly compute: Preparer;
  readonly assets: AssetSource;
  readonly capabilities: () => Capabilities;
  readonly project?: string;
  /** The projects chosen to serve (null: every project), read at each lease request. */
  readonly projects?: () => readonly string[] | null;
  /** Checks a job's signature before anything of it is fetched or run (client/job-verifier.ts). */
  readonly verify?: (job: LeasedJob) => Promise<JobCheck>;
  readonly emit: (event: VolunteerEvent) => void;
  readonly clock: LeaseClock;
  /** Upper bound on the coordinator's `retryAfter` when it has no work (it asks for 10 s). */
  readonly maxIdleWaitMs?: number;
  /** A sleep the owner can cut short (on stop). */
  readonly sleep: (ms: number) => Promise<void>;
  readonly running: () => boolean;
  /** Whether leases arriving now are kept: not once stopped, nor once a pause has given back what was held. */
  readonly keeps?: () => boolean;
  /** Called with each lease or fetch problem, for the owner's `lastError`. */
  readonly onError: (message: string) => void;
  /** Called for each work unit leased. */
  readonly onLeased: () => void;
  /** How many units at the front of the queue to keep getting ready. */
  readonly ahead: () => number;
  /**
   * Take back the key's open leases with the first requests (a page starting afresh: LeaseRequest.resumeAfter),
   * less those whose results wait in this outbox. Only the one page computing for its key may (volunteer.ts
   * `claimKey`): two would compute them twice.
   */
  readonly resume?: Pick<Outbox, 'peek'>;
}

/** Results in the outbox looked at when leases are taken back: more than a page computes between sends. */
const RESUME_PEEK = 1000;

const ema = (previous: number | null, sample: number) => (previous === null ? sample : previous * 0.7 + sample * 0.3);

/** Base64 as a coordinator sent it, or null where it is not (the pipeline goes on with the next unit). */
function decoded(text: string): Uint8Array | null {
  try {
    return fromBase64(text);
  } catch {
    return null;
  }
}

export class LeaseQueue {
  readonly #o: LeaseQueueOptions;
  readonly #queue: Work[] = [];
  #leasing: Promise<void> | null = null;
  #noWorkUntil = 0;
  #failures = 0;
  /** The last lease request got no answer at all (the coordinator down, or the network): its retry waits a backoff. */
  #unreachable = false;
  #waiting = false;
  #full = false;
  /** Moving average of a lease request's round trip (asked → answered). */
  #leaseEma: number | null = null;
  /** Moving average of the time a unit takes to get ready once started (its input fetched, its job prepared). */
  #readyEma: number | null = null;
  /** Jobs whose signer was announced (each lease is checked; the event is sent once a job). */
  readonly #announced = new Set<string>();
  /** Where taking back the key's open leases goes on (null: from the first); undefined once all came back. */
  #resumeAfter: string | null | undefined;

  constructor(options: LeaseQueueOptions) {
    this.#o = options;
    this.#resumeAfter = options.resume ? null : undefined;
  }

  get length(): number {
    return this.#queue.length;
  }
  /** True while the coordinator has had nothing for us. */
  get waiting(): boolean {
    return this.#waiting;
  }
  /**
   * The last answer leased nothing because this key held the most leases it may: results accepted make room.
   * A coordinator that does not say is taken to mean it may be (asking again costs one request).
   */
  get full(): boolean {
    return this.#full;
  }
  /** Moving average of the time a unit takes to get ready once started. */
  get readyMs(): number | null {
    return this.#readyEma;
  }
  /**
   * How long new work takes to arrive once asked for: a lease's round trip, then its unit getting ready. Each
   * is measured on its own, from its own start: a unit's time from lease to ready would count the time it
   * waited in a long queue, and the deeper the queue, the deeper it would ask it to be.
   */
  get leadMs(): number | null {
    return this.#leaseEma === null ? null : this.#leaseEma + (this.#readyEma ?? 0);
  }
  /** Milliseconds until asking for leases is worth it again (after "no work" or a failure). */
  get holdOffMs(): number {
    return Math.max(0, this.#noWorkUntil - this.#o.clock.monotonic());
  }
  /** The units held and not yet taken. */
  get held(): readonly Work[] {
    return this.#queue;
  }

  shift(): Work | undefined {
    const work = this.#queue.shift();
    this.prime(this.#o.ahead());
    return work;
  }

  /** Puts back a unit that never ran (its worker was replaced), to be taken first. */
  unshift(work: Work): void {
    this.#queue.unshift(work);
  }

  clear(): void {
    this.#queue.length = 0;
  }

  /**
   * Lets go of the units held and `running`, but for those whose results were sent (`sent`): nothing is held after,
   * and what was running yields no result. Returns their leases, for the caller to give back (page-leave.ts).
   */
  giveUp(running: Iterable<Work>, sent: ReadonlySet<string> = new Set()): string[] {
    const given = [...this.#queue, ...running].filter((w) => !sent.has(w.lease.lease));
    for (const work of given) work.gone = 'given back as the page went';
    this.clear();
    return given.map((w) => w.lease.lease);
  }

  /** Gives back the units held, not started (a stop): other volunteers get them now, not at their deadlines. */
  giveBack(): void {
    const leases = this.giveUp([]);
    if (leases.length > 0) this.#o.client.releaseOnLeave?.(leases, leaveBudget());
  }

  /** Gives back the last `n` units held, not started: leased beyond what this page will compute soon (queue-trim.ts). */
  trim(n: number): void {
    if (n <= 0) return;
    const given = this.#queue.splice(Math.max(0, this.#queue.length - n));
    for (const work of given) work.gone = 'given back: more than this page would compute soon';
    this.#o.client.releaseOnLeave?.(
      given.map((w) => w.lease.lease),
      leaveBudget(),
    );
  }

  /**
   * The coordinator answered another request (it accepted results): if the last lease request got no answer, ask
   * again now rather than at the end of its backoff, which grows to 30 s over an outage. Not after an error
   * answer (429, 5xx): those backoffs stand.
   */
  reachable(): boolean {
    if (!this.#unreachable) return false;
    this.#unreachable = false;
    this.#failures = 0;
    this.#noWorkUntil = 0;
    return true;
  }

  /**
   * The page saw the coordinator out of reach and back: as `reachable`, and a "no work" answer from before no longer
   * stands either (work may have come meanwhile, and the page would say "No work right now" on the strength of it
   * until its wait ended, up to 10 s): it is asked again now. True when it woke.
   */
  outageOver(): boolean {
    const woke = this.reachable();
    if (!this.#waiting) return woke;
    this.#waiting = false;
    this.#noWorkUntil = 0;
    return true;
  }

  /** Asks for leases again at once (the projects chosen changed): a "no work" wait no longer holds. */
  wake(): void {
    this.#noWorkUntil = 0;
  }

  /** Starts getting the first `n` units ready, so that each is ready by the time it is taken. */
  prime(n: number): void {
    for (const work of this.#queue.slice(0, n)) this.ready(work);
  }

  /** The unit's input and prepared job, fetched at most once. */
  ready(work: Work): Promise<Ready> {
    if (work.ready) return work.ready;
    const started = this.#o.clock.monotonic();
    work.ready = this.#ready(work.lease, work.job).then((ready) => {
      this.#readyEma = ema(this.#readyEma, this.#o.clock.monotonic() - started);
      return ready;
    });
    return work.ready;
  }

  /** Asks for more leases unless a request is already out or the coordinator asked us to hold off. */
  refill(want: number): void {
    if (want <= 0 || this.#leasing || this.holdOffMs > 0) return;
    void this.leaseMore(want);
  }

  /** One lease request at a time: concurrent callers share it. */
  leaseMore(max: number): Promise<void> {
    this.#leasing ??= this.#lease(max).finally(() => {
      this.#leasing = null;
    });
    return this.#leasing;
  }

  async #lease(max: number): Promise<void> {
    const asked = this.#o.clock.monotonic();
    const chosen = this.#o.projects?.() ?? null;
    const resumeAfter = this.#resumeAfter;
    const answer = await this.#o.client.lease({
      capabilities: this.#o.capabilities(),
      // More is refused whole (400), and asked again, forever: a page leasing far ahead stopped computing.
      max: Math.min(max, MAX_LEASE_REQUEST),
      ...(this.#o.project ? { project: this.#o.project } : {}),
      ...(chosen ? { projects: [...chosen] } : {}),
      ...(resumeAfter !== undefined ? { resumeAfter } : {}),
    });
    this.#unreachable = !answer.ok && answer.error.status === 0;
    if (!answer.ok) {
      const delay = backoffDelay(this.#failures++);
      this.#noWorkUntil = this.#o.clock.monotonic() + delay;
      const message = `lease failed: ${answer.error.message}`;
      this.#o.onError(message);
      this.#o.emit({ type: 'warning', message: `${message}; retrying in ${Math.round(delay)} ms` });
      return;
    }
    this.#failures = 0;
    this.#leaseEma = ema(this.#leaseEma, this.#o.clock.monotonic() - asked);
    const { jobs, retryAfter, full, resumed = 0, resumeNext } = answer.value;
    let leases = answer.value.leases;
    // A coordinator that does not know the field says nothing of it: nothing to go on with.
    if (resumeAfter !== undefined) this.#resumeAfter = resumeNext;
    if (leases.length === 0) {
      this.#full = full !== false;
      const wait = Math.min((retryAfter ?? 5) * 1000, this.#o.maxIdleWaitMs ?? Number.POSITIVE_INFINITY);
      this.#noWorkUntil = this.#o.clock.monotonic() + Math.max(100, wait);
      this.#waiting = true;
      return;
    }
    this.#waiting = false;
    if (resumed > 0) leases = await this.#takenBack(leases, resumed);
    if (!this.#o.running() || this.#o.keeps?.() === false) {
      // Stopped (or paused for long) while the request was out: what was held then went back, and these came
      // after it. Queued, they would stay the key's until their deadlines (a farm stopping held hundreds for 10
      // minutes).
      this.#o.client.releaseOnLeave?.(
        leases.map((l) => l.lease),
        leaveBudget(),
      );
      return;
    }
    const byId = new Map(jobs.map((j) => [j.id as string, j]));
    for (const lease of leases) {
      const job = byId.get(lease.job);
      if (!job) {
        this.#o.emit({ type: 'warning', message: `lease ${lease.lease} names job ${lease.job}, which was not sent` });
        continue;
      }
      this.#o.onLeased();
      this.#o.emit({
        type: 'leased',
        lease: lease.lease,
        workUnit: lease.workUnit,
        job: job.id,
        project: job.project,
        jobName: job.name,
        ...(lease.tag !== undefined ? { tag: lease.tag } : {}),
      });
      this.#queue.push({
        lease,
        job,
        leasedAt: this.#o.clock.now(),
        deadline: lease.deadline,
        gone: null,
        ready: null,
      });
    }
    this.prime(this.#o.ahead());
  }

  /** The answer's leases less those of the first `resumed` (held already) whose results wait in the outbox. */
  async #takenBack(leases: readonly LeasedUnit[], resumed: number): Promise<LeasedUnit[]> {
    const answered = new Set((await this.#o.resume?.peek(RESUME_PEEK))?.map((e) => e.id));
    const back = leases.slice(0, resumed).filter((l) => !answered.has(l.lease));
    this.#o.emit({ type: 'resumed', count: back.length });
    return [...back, ...leases.slice(resumed)];
  }

  /** Fetches the input and assets and prepares the job in the worker: all of it while another WU computes. */
  async #ready(lease: LeasedUnit, job: LeasedJob): Promise<Ready> {
    if (this.#o.verify) {
      const checked = await this.#o.verify(job);
      if (!checked.ok)
        return { ok: false, code: checked.transient ? 'skip' : 'untrusted_job', message: checked.message };
      if (!this.#announced.has(job.id)) {
        this.#announced.add(job.id);
        this.#o.emit({ type: 'verified', job: job.id, project: job.project, signer: checked.signer });
      }
    }
    const choice = leasedBackend(job, this.#o.capabilities());
    if (!choice.ok) return { ok: false, code: 'unsupported', message: choice.why };
    const { backend } = choice;
    let input: Uint8Array;
    if (lease.inline !== undefined || lease.input !== null) {
      const carried = lease.inline ?? decoded(lease.input!);
      if (!carried) return { ok: false, code: 'runtime_error', message: 'the inline input is not base64', backend };
      input = carried;
      if ((await sha256Hex(input)) !== lease.inputHash)
        return { ok: false, code: 'runtime_error', message: 'the inline input does not match its hash', backend };
    } else {
      const fetched = await this.#fetchWithRetry(lease.inputHash);
      if (!fetched.ok) return fetched;
      input = fetched.bytes;
    }
    const prepared = await this.#o.compute.prepare(job.id, job.spec, backend, this.#o.assets);
    if (!prepared.ok) return { ...prepared, backend };
    return { ok: true, backend, input };
  }

  async #fetchWithRetry(hash: string): Promise<{ ok: true; bytes: Uint8Array } | (Ready & { ok: false })> {
    for (let attempt = 0; ; attempt++) {
      const blob = await this.#o.client.blob(hash);
      if (blob.ok) return { ok: true, bytes: blob.value };
      if (!blob.error.transient)
        return { ok: false, code: 'runtime_error', message: `input ${hash} unavailable: ${blob.error.message}` };
      // Offline or overloaded: give up quietly after a few tries and let the lease expire.
      if (attempt >= 4 || !this.#o.running())
        return { ok: false, code: 'skip', message: `input ${hash} unavailable: ${blob.error.message}` };
      await this.#o.sleep(backoffDelay(attempt));
    }
  }
}
