// The work units leased ahead of the compute loop: asking the coordinator for more when the queue runs
// low, and getting the first few ready (unit-ready.ts: input fetched, job prepared in the worker) while others
// compute.
// The compute loop (pipeline.ts) takes them from the front; lease-renewal.ts keeps their leases.
import type { Capabilities, HeldBack, LeaseAnswer, LeaseRequest, LeasedJob, LeasedUnit } from '@bricolage/protocol';
import { MAX_LEASE_REQUEST } from '@bricolage/protocol';
import { backoffDelay } from '../client/backoff';
import { type ClientResult, type HeartbeatReply, type LeaveBudget, leaveBudget } from '../client/coordinator-client';
import type { JobCheck } from '../client/job-verifier';
import type { VolunteerEvent } from '../events';
import type { AssetSource } from '../host';
import type { Outbox } from '../outbox';
import { type Preparer, type Ready, UnitReadier } from './unit-ready';

export type { Preparer, Ready } from './unit-ready';

export interface LeaseClient {
  lease(request: LeaseRequest): Promise<ClientResult<LeaseAnswer>>;
  blob(hash: string): Promise<ClientResult<Uint8Array>>;
  /** Renews `leases`; with `jobs`, also learns which of the key's leases of them were withdrawn (lease-renewal.ts). */
  heartbeat(leases: readonly string[], jobs?: readonly string[]): Promise<ClientResult<HeartbeatReply>>;
  /**
   * Gives leases back in requests that outlive the page (coordinator-client.ts), with those granted under the
   * lease `requests` still out (LeaseRequest.request), whose answers the page will not read.
   */
  releaseOnLeave?(leases: readonly string[], budget: LeaveBudget, requests?: readonly string[]): void;
}

export interface LeaseClock {
  /** Wall-clock epoch ms, comparable with lease deadlines. */
  now(): number;
  /** Monotonic ms for durations. */
  monotonic(): number;
}

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

/** A lease request's name (LeaseRequest.request): 128 random bits, hex, from what every browser and Node has. */
const requestName = (): string =>
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');

/** What a page that goes gives back: the leases it holds, and its lease requests still out (their answers unread). */
export interface GivenUp {
  readonly leases: string[];
  readonly requests: string[];
}

const ema = (previous: number | null, sample: number) => (previous === null ? sample : previous * 0.7 + sample * 0.3);

export class LeaseQueue {
  readonly #o: LeaseQueueOptions;
  readonly #queue: Work[] = [];
  #leasing: Promise<void> | null = null;
  /** The lease request out now, if one is: its name, and whether the page gave it up (it went). */
  #out: { readonly name: string; givenUp: boolean } | null = null;
  readonly #readier: UnitReadier;
  #noWorkUntil = 0;
  #failures = 0;
  /** The last lease request got no answer at all (the coordinator down, or the network): its retry waits a backoff. */
  #unreachable = false;
  #waiting = false;
  #full = false;
  /** Why the last answer gave nothing whatever the grid has, from the key's own standing; null when it did not say. */
  #heldBack: HeldBack | null = null;
  /** Moving average of a lease request's round trip (asked → answered). */
  #leaseEma: number | null = null;
  /** Moving average of the time a unit takes to get ready once started (its input fetched, its job prepared). */
  #readyEma: number | null = null;
  /** Where taking back the key's open leases goes on (null: from the first); undefined once all came back. */
  #resumeAfter: string | null | undefined;

  constructor(options: LeaseQueueOptions) {
    this.#o = options;
    this.#readier = new UnitReadier({ ...options, blob: (hash) => options.client.blob(hash) });
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
  /** Why the coordinator holds work back from this key (its errors, its results no longer counted); null if not. */
  get heldBack(): HeldBack | null {
    return this.#heldBack;
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
   * Lets go of the units held and `running`, but for those whose results were sent (`sent`), and of the lease
   * request out, if one is: nothing is held after, what was running yields no result, and what the request brings
   * is dropped. Returns their leases and the request's name, for the caller to give back (page-leave.ts): a page
   * that went while its request was out left the units granted in it held until their deadlines, each then charged
   * to its key as an expiry.
   */
  giveUp(running: Iterable<Work>, sent: ReadonlySet<string> = new Set()): GivenUp {
    const leases = this.#letGo([...this.#queue, ...running].filter((w) => !sent.has(w.lease.lease)));
    const out = this.#out;
    if (out) out.givenUp = true;
    return { leases, requests: out ? [out.name] : [] };
  }

  /**
   * Gives back the units held, not started (a stop): other volunteers get them now, not at their deadlines. A
   * request still out is not named: the page is here to give back what it brings (`#lease`).
   */
  giveBack(): void {
    const leases = this.#letGo([...this.#queue]);
    if (leases.length > 0) this.#o.client.releaseOnLeave?.(leases, leaveBudget());
  }

  /** Marks `given` gone and empties the queue; returns their leases. */
  #letGo(given: readonly Work[]): string[] {
    for (const work of given) work.gone = 'given back as the page went';
    this.clear();
    return given.map((w) => w.lease.lease);
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
    work.ready = this.#readier.ready(work.lease, work.job).then((ready) => {
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
      this.#out = null;
    });
    return this.#leasing;
  }

  async #lease(max: number): Promise<void> {
    const asked = this.#o.clock.monotonic();
    const chosen = this.#o.projects?.() ?? null;
    const resumeAfter = this.#resumeAfter;
    const out = { name: requestName(), givenUp: false };
    this.#out = out;
    const answer = await this.#o.client.lease({
      request: out.name,
      capabilities: this.#o.capabilities(),
      // More is refused whole (400), and asked again, forever: a page leasing far ahead stopped computing.
      max: Math.min(max, MAX_LEASE_REQUEST),
      ...(this.#o.project ? { project: this.#o.project } : {}),
      ...(chosen ? { projects: [...chosen] } : {}),
      ...(resumeAfter !== undefined ? { resumeAfter } : {}),
    });
    // The page went while the request was out (and came back from the back-forward cache): it gave back by the
    // request's name what the answer brings, and an answer of nothing says nothing of the grid now.
    if (out.givenUp) return;
    this.#unreachable = !answer.ok && answer.error.status === 0;
    if (!answer.ok) {
      // No answer read (none came in time, or the connection broke): the coordinator may have granted it all the
      // same. Given up by its name, what it granted goes back now, charged to no one, rather than at its deadlines
      // as expiries; and if it has not reached the coordinator yet, it will be granted nothing.
      if (answer.error.status === 0) this.#o.client.releaseOnLeave?.([], leaveBudget(), [out.name]);
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
    const held = answer.value.leases.length === 0 ? (answer.value.heldBack ?? null) : null;
    // Until when, on this device's clock (the coordinator's may differ): from the wait it asks for, which is that.
    this.#holdBack(
      held?.why === 'errors' && retryAfter !== null
        ? { why: 'errors', until: this.#o.clock.now() + retryAfter * 1000 }
        : held,
    );
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
    // The page went while the leases taken back were checked against the outbox.
    if (out.givenUp) return;
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

  /**
   * Keeps why work is held back from the key, and says so when that changes (the page shows it); an `until` moved by
   * less than a few seconds (the wait is in whole seconds, asked again every few) is no change.
   */
  #holdBack(heldBack: HeldBack | null): void {
    const was = this.#heldBack;
    if (was?.why === 'errors' && heldBack?.why === 'errors' && Math.abs(heldBack.until - was.until) < 5000) return;
    if (JSON.stringify(heldBack) === JSON.stringify(was)) return;
    this.#heldBack = heldBack;
    this.#o.emit({ type: 'held-back', heldBack });
  }
}
