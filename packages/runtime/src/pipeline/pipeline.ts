// lease → fetch inputs → compute → outbox, with the next work unit leased, fetched and prepared while
// the current one computes. Runs on the page, so that a stuck kernel can be killed with its worker.
import type { BackendClass, Capabilities, HeldBack } from '@bricolage/protocol';
import type { LeaseAhead } from './lease-ahead';
import type { GivenUp, LeaseQueue, Work } from './lease-queue';
import type { LeaseRenewal } from './lease-renewal';
import { UnitStops } from './unit-stops';
import type { OutcomeRecorder } from './outcome-recorder';
import { ComputeTimes } from './compute-times';
import { PAUSED_HOLD_MS, PauseHold } from './pause-hold';
import { unitsToTrim } from './queue-trim';
import { type PipelineClock, type PipelineCounts, type PipelineOptions, systemClock } from './pipeline-options';
import { pipelineParts } from './pipeline-parts';
import { Sleeps } from './sleeps';
import { clampDuty, restAfter } from './throttle';
import { type FinishDeps, recordOutcome } from './work-finish';
import { type PostDeps, postWorks, type Started } from './work-start';

export type {
  PipelineClient,
  PipelineClock,
  PipelineCompute,
  PipelineCounts,
  PipelineOptions,
} from './pipeline-options';

export class Pipeline {
  readonly #o: PipelineOptions;
  readonly #clock: PipelineClock;
  readonly #times = new ComputeTimes();
  readonly #outcomes: OutcomeRecorder;
  readonly #queue: LeaseQueue;
  readonly #ahead: LeaseAhead;
  readonly #sleeps = new Sleeps();
  readonly counts: PipelineCounts = { leased: 0, computed: 0, failed: 0 };
  #capabilities: Capabilities;
  #duty: number;
  #projects: readonly string[] | null;
  #prefetch: boolean;
  #running = false;
  #paused = false;
  /**
   * The page went (pagehide) and is not shown again (pageshow): it asks for nothing and computes nothing. What it
   * held went back as it went; a lease request sent after would hold its grants until their deadlines.
   */
  #left = false;
  #loop: Promise<void> | null = null;
  readonly #renewal: LeaseRenewal;
  /** Stops each unit handed to the worker alone: on stop('now'), or once its lease is withdrawn. */
  readonly #stops = new UnitStops();
  #heartbeat: ReturnType<typeof setInterval> | null = null;
  readonly #hold: PauseHold;
  #current: (Work & { backend: BackendClass }) | null = null;
  /**
   * Work units taken from the queue whose results are not yet recorded (those being made ready, the one
   * computing, those queued or in flight behind it, and those finished whose result is still on its way into the
   * outbox).
   */
  readonly #inWorker = new Set<Work>();
  readonly #finishing: FinishDeps;
  readonly #posting: PostDeps;
  #startedAt = 0;
  #lastError: string | null = null;

  constructor(options: PipelineOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#capabilities = options.capabilities;
    this.#duty = clampDuty(options.throttle ?? 1);
    this.#projects = options.projects ?? null;
    this.#prefetch = options.prefetch ?? true;
    this.#hold = new PauseHold(options.pausedHoldMs ?? PAUSED_HOLD_MS, () => {
      if (this.#paused && this.#running) this.#queue.giveBack();
    });
    const parts = pipelineParts(options, {
      clock: this.#clock,
      counts: this.counts,
      times: this.#times,
      sleeps: this.#sleeps,
      inWorker: this.#inWorker,
      capabilities: () => this.#capabilityReport(),
      projects: () => this.#projects,
      running: () => this.#running,
      keeps: () => this.#running && !this.#hold.gaveBack,
      prefetch: () => this.#prefetch,
      duty: () => this.#duty,
      current: () => this.#current,
      onError: (message) => {
        this.#lastError = message;
      },
    });
    this.#queue = parts.queue;
    this.#ahead = parts.ahead;
    this.#outcomes = parts.outcomes;
    this.#renewal = parts.renewal;
    this.#posting = parts.posting;
    this.#finishing = parts.finishing;
  }

  get running(): boolean {
    return this.#running;
  }
  get paused(): boolean {
    return this.#paused;
  }
  /**
   * Waiting for work: the coordinator had none for us, and nothing of ours is left to run (none queued, none in
   * the worker). A prefetch that found the coordinator empty while leased units remain is not "no work".
   */
  get waiting(): boolean {
    return this.#queue.waiting && this.#queue.length === 0 && !this.busy;
  }
  /** Why the coordinator holds work back from the key, when it said so (lease-queue.ts). */
  get heldBack(): HeldBack | null {
    return this.#queue.heldBack;
  }
  get throttle(): number {
    return this.#duty;
  }
  get prefetch(): boolean {
    return this.#prefetch;
  }
  get current(): { lease: string; workUnit: string; job: string; backend: BackendClass } | null {
    const c = this.#current;
    return c ? { lease: c.lease.lease, workUnit: c.lease.workUnit, job: c.job.id, backend: c.backend } : null;
  }
  /** Whether a work unit is taken (being made ready, in the worker, or finished with its result not yet recorded). */
  get busy(): boolean {
    return this.#inWorker.size > 0;
  }
  get computeMs(): number {
    return this.#times.total;
  }
  get wallMs(): number {
    return this.#running ? this.#clock.monotonic() - this.#startedAt : 0;
  }
  /** When the first work unit started computing, on the `monotonic()` scale. */
  get firstComputeAt(): number | null {
    return this.#times.firstAt;
  }
  get lastError(): string | null {
    return this.#lastError;
  }
  dutyCycle(): number | null {
    return this.#times.meter.dutyCycle(this.#clock.monotonic());
  }
  wuPerSecond(): number | null {
    return this.#times.meter.rate(this.#clock.monotonic());
  }

  /** The capability report sent with a lease request: the device, and its measured speed on recent jobs. */
  #capabilityReport(): Capabilities {
    const speeds = this.#times.speeds.report(this.#duty);
    return speeds.length > 0 ? { ...this.#capabilities, speeds } : this.#capabilities;
  }

  setCapabilities(capabilities: Capabilities): void {
    this.#capabilities = capabilities;
  }

  /** Changes the duty cycle at once, also for a rest already under way; the rate meter starts over. */
  setThrottle(duty: number): void {
    this.#duty = clampDuty(duty);
    this.#times.meter.reset();
    this.#sleeps.wakeAll();
  }

  /** Serves only these projects' jobs from the next lease on (null: every project); leases held are kept. */
  setProjects(projects: readonly string[] | null): void {
    this.#projects = projects;
    this.#queue.wake();
    this.#sleeps.wakeAll();
  }

  /**
   * Results were accepted: their leases no longer count against this key's room on the coordinator. After a
   * lease answered with nothing, ask again now rather than when its wait ends: a fast tab's room fills within
   * moments (256 cnn units are a tenth of a second), and the coordinator's "full, ask in 1 s" left it idle
   * for the rest of that second with work waiting (bench:runtime --gaps: a gap at every 256th unit). Only
   * when the answer said the key was full: where the grid had no work, asking again per accepted submit
   * would only be told so again.
   */
  resultsAccepted(): void {
    // Also a sign that the coordinator is back after an outage (the page's own check may not have seen it yet).
    if (this.coordinatorBack()) return;
    if (!this.#queue.waiting || !this.#queue.full) return;
    this.#queue.wake();
    this.#sleeps.wakeAll();
  }

  /**
   * The coordinator answers again after an outage: if the last lease request got no answer, ask again now, not at
   * the end of a backoff that grows to 30 s; an error answer's backoff (429, 5xx) stands. Whether or not any
   * results waited to be delivered: a tab with an empty outbox has no accepted submit to wake it. True when it woke.
   */
  coordinatorBack(): boolean {
    if (!this.#queue.reachable()) return false;
    this.#sleeps.wakeAll();
    return true;
  }

  /**
   * The page saw the coordinator out of reach and back (not an accepted submit: where the grid had no work, each one
   * would ask again for nothing): as `coordinatorBack`, and a "no work" answer from before is asked again now too.
   */
  outageOver(): void {
    if (this.#queue.outageOver()) this.#sleeps.wakeAll();
  }

  setPrefetch(prefetch: boolean): void {
    this.#prefetch = prefetch;
  }

  /**
   * Finishes the work units already in the worker (the one computing, and those handed over behind it:
   * at most about a second of short units), then waits until resumed. Leases are not renewed while paused,
   * and a pause that lasts gives back the units leased ahead (pause-hold.ts).
   */
  pause(): void {
    this.#paused = true;
    this.#sleeps.wakeAll();
    this.#hold.begin();
  }

  resume(): void {
    this.#hold.end();
    if (!this.#paused) return;
    this.#paused = false;
    this.#times.meter.reset();
    this.#sleeps.wakeAll();
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#startedAt = this.#clock.monotonic();
    this.#heartbeat = setInterval(() => this.#renewLeases(), this.#o.heartbeatCheckMs ?? 5000);
    this.#loop = this.#run().catch((error: Error) => {
      this.#lastError = error.message;
      this.#o.emit({
        type: 'warning',
        message: `pipeline stopped on an unexpected error: ${error.stack ?? error.message}`,
      });
      this.#running = false;
    });
  }

  /**
   * Stops leasing. `finish` lets the work units in the worker complete and enter the outbox; `now` kills them.
   * Leases fetched ahead and not started are given back to the coordinator.
   */
  async stop(mode: 'finish' | 'now' = 'finish'): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    this.#hold.end();
    if (mode === 'now') this.#stops.stopAll(this.#inWorker);
    this.#outcomes.stopRetrying();
    this.#sleeps.wakeAll();
    await this.#loop;
    this.#queue.giveBack();
  }

  /**
   * The page is going: the leases it will not compute, but those whose results were `sent`, and its lease request
   * still out (page-leave.ts).
   */
  leave(sent: ReadonlySet<string>): GivenUp {
    // Before the request out is given up: its failure (the browser drops it as the page goes) would otherwise free
    // the loop to send the next one while the page is still there, granted units that no one gives back.
    this.#left = true;
    return this.#queue.giveUp(this.#inWorker, sent);
  }

  /** The page is shown again (back from the back-forward cache): it carries on, with what it gave back gone. */
  back(): void {
    if (!this.#left) return;
    this.#left = false;
    // The units the worker held went back as the page went: stopped, not awaited. Their outcomes may never come (the
    // page frozen in the cache with them in the worker was seen waiting for them ever after, computing nothing).
    this.#stops.stopAll([...this.#inWorker].filter((work) => work.gone));
    this.#times.meter.reset();
    this.#sleeps.wakeAll();
  }

  /** Paused, or gone with the page: nothing is leased, started or renewed. */
  get #idle(): boolean {
    return this.#paused || this.#left;
  }

  async #run(): Promise<void> {
    /** Units handed to the worker, oldest first; each batch is posted only after the one before it. */
    const inWorker: Promise<Started>[] = [];
    let posted: Promise<unknown> = Promise.resolve();
    const post = (works: Work[]) => {
      // Counted as the worker's from the moment they leave the queue: a page that goes while they are being
      // made ready (their input checked, their job prepared) gives them back too, instead of holding them.
      for (const work of works) this.#inWorker.add(work);
      const started = posted.then(() => postWorks(works, this.#posting, (work) => this.#stops.signal(work)));
      posted = started;
      for (const i of works.keys()) inWorker.push(started.then((all) => all[i]!));
      this.#refill();
    };
    while (this.#running) {
      if (inWorker.length === 0) {
        if (this.#idle) {
          await this.#sleeps.sleep(60_000);
          continue;
        }
        const work = await this.#take();
        if (!work) continue;
        post([work]);
      }
      // Hand the worker its next units now, so that it starts each the moment it can (WebGPU computes
      // several at once): only at a full duty cycle (a throttled volunteer rests in between) and while
      // not paused.
      for (;;) {
        const next = this.#queue.held[0];
        if (!next || this.#idle || !this.#running) break;
        const count = this.#ahead.toHand(next, inWorker.length);
        if (count === 0) break;
        const units: Work[] = [];
        while (units.length < count && this.#queue.held[0]?.job.id === next.job.id) units.push(this.#queue.shift()!);
        post(units);
      }
      const computeMs = await this.#finish(await inWorker.shift()!);
      if (computeMs > 0 && inWorker.length === 0) await this.#rest(computeMs);
    }
    // Stopped with work units already in the worker: finish them (stop('now') has aborted them).
    for (const started of inWorker) await this.#finish(await started);
    await this.#outcomes.flush();
  }

  /** The next work unit to compute, leasing when the queue is empty; null when stopped or paused. */
  async #take(): Promise<Work | null> {
    while (this.#running && !this.#idle) {
      const next = this.#queue.shift();
      if (next) return next;
      const wait = this.#queue.holdOffMs;
      if (wait > 0) {
        await this.#sleeps.sleep(wait);
        continue;
      }
      await this.#queue.leaseMore(this.#prefetch ? this.#ahead.depth() + 1 : 1);
    }
    return null;
  }

  #refill(): void {
    if (this.#left) return;
    this.#queue.refill(this.#ahead.depth() - this.#queue.length);
  }

  /** Waits for a work unit's outcome and puts its result, or its error result, in the outbox. Returns compute time. */
  async #finish(started: Started): Promise<number> {
    const { work } = started;
    if (started.kind === 'skip') {
      this.#inWorker.delete(work);
      this.#outcomes.skip(work, started.reason);
      return 0;
    }
    if (started.kind === 'failed') {
      await this.#outcomes.report(work, started.code, started.message, started.backend);
      return 0;
    }
    const { backend } = started;
    this.#current = Object.assign(work, { backend });
    const outcome = await started.outcome;
    const endedAt = this.#clock.monotonic();
    if (this.#current === work) this.#current = null;
    return recordOutcome({ work, backend, issuedAt: started.issuedAt, outcome, endedAt }, this.#finishing);
  }

  /** Rests after a work unit so that compute ÷ wall time matches the duty cycle; re-evaluated on change. */
  async #rest(computeMs: number): Promise<void> {
    const ended = this.#clock.monotonic();
    while (this.#running) {
      const left = ended + restAfter(computeMs, this.#duty) - this.#clock.monotonic();
      if (left <= 0) return;
      await this.#sleeps.sleep(left);
    }
  }

  /**
   * Renews leases past half their life, asks every few seconds whether their jobs were withdrawn, and forgets those
   * the coordinator no longer holds for us, stopping those in the worker that would run on for long; then gives
   * back the units held beyond what the page will compute soon at the speeds now measured (queue-trim.ts).
   */
  async #renewLeases(): Promise<void> {
    if (this.#idle) return;
    const msPerUnit = (job: string) => this.#times.speeds.msPerUnit(job);
    const gone = await this.#renewal.renew([...this.#queue.held, ...this.#inWorker]);
    this.#stops.stopGone(gone, this.#inWorker, msPerUnit);
    this.#queue.trim(unitsToTrim(this.#queue.held, msPerUnit, this.#duty, this.#inWorker));
  }
}
