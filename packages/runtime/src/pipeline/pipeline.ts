// lease → fetch inputs → compute → outbox, with the next work unit leased, fetched and prepared while
// the current one computes. Runs on the page, so that a stuck kernel can be killed with its worker.
import type {
  BackendClass,
  BlobHash,
  Capabilities,
  Lease,
  LeaseRequest,
  LeaseResponse,
  LeasedJob,
  SubmittedResult,
} from '@bricolage/protocol';
import { fromBase64, sha256Hex, toBase64 } from '@bricolage/protocol';
import { selfCheck } from '../abi';
import { leasedBackend } from '../capabilities';
import type { ClientResult, HeartbeatReply } from '../client/coordinator-client';
import type { ComputeOutcome, PrepareOutcome } from '../compute/api';
import type { VolunteerEvent } from '../events';
import type { ComputeErrorCode } from '../executors/executor';
import type { AssetSource, Interrupted } from '../host';
import type { Outbox } from '../outbox';
import { backoffDelay } from './backoff';
import { DutyMeter, clampDuty, restAfter } from './throttle';

export interface PipelineClient {
  lease(request: LeaseRequest): Promise<ClientResult<LeaseResponse>>;
  blob(hash: string): Promise<ClientResult<Uint8Array>>;
  heartbeat(leases: readonly string[]): Promise<ClientResult<HeartbeatReply>>;
}

export interface PipelineCompute {
  prepare(job: string, spec: LeasedJob['spec'], backend: BackendClass, assets: AssetSource): Promise<PrepareOutcome>;
  /** May be called again before the previous run settled: runs execute in call order. */
  run(job: string, input: Uint8Array, budgetMs: number, signal?: AbortSignal): Promise<ComputeOutcome | Interrupted>;
}

export interface PipelineClock {
  /** Wall-clock epoch ms, comparable with lease deadlines. */
  now(): number;
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
  readonly clock?: PipelineClock;
}

interface Work {
  readonly lease: Lease;
  readonly job: LeasedJob;
  /** When the lease was granted or last renewed (epoch ms). */
  leasedAt: number;
  deadline: number;
  /** Set when a heartbeat says the lease is no longer ours to compute. */
  gone: string | null;
  readonly ready: Promise<Ready>;
}

type Ready =
  | { readonly ok: true; readonly backend: BackendClass; readonly input: Uint8Array }
  | {
      readonly ok: false;
      readonly code: ComputeErrorCode | 'skip';
      readonly message: string;
      readonly backend?: BackendClass;
    };

export interface PipelineCounts {
  leased: number;
  computed: number;
  failed: number;
}

const systemClock: PipelineClock = {
  now: () => Date.now(),
  monotonic: () => performance.timeOrigin + performance.now(),
};

/** Most work units kept leased ahead, however small they are. */
export const MAX_PREFETCH = 16;

/** A work unit on its way through the worker, or the reason it never got there. */
type Started =
  | { readonly kind: 'skip'; readonly work: Work; readonly reason: string }
  | {
      readonly kind: 'failed';
      readonly work: Work;
      readonly code: ComputeErrorCode;
      readonly message: string;
      readonly backend?: BackendClass;
    }
  | {
      readonly kind: 'run';
      readonly work: Work;
      readonly backend: BackendClass;
      readonly issuedAt: number;
      readonly outcome: Promise<ComputeOutcome | Interrupted>;
    };

const isInterrupted = (o: ComputeOutcome | Interrupted): o is Interrupted =>
  !o.ok && (o.code === 'aborted' || o.code === 'restarted');

const ema = (previous: number | null, sample: number) => (previous === null ? sample : previous * 0.7 + sample * 0.3);

export class Pipeline {
  readonly #o: PipelineOptions;
  readonly #clock: PipelineClock;
  readonly #meter = new DutyMeter(8);
  readonly #queue: Work[] = [];
  readonly #sleepers = new Set<() => void>();
  readonly counts: PipelineCounts = { leased: 0, computed: 0, failed: 0 };
  #capabilities: Capabilities;
  #duty: number;
  #prefetch: boolean;
  #running = false;
  #paused = false;
  #waiting = false;
  #loop: Promise<void> | null = null;
  #leasing: Promise<void> | null = null;
  #noWorkUntil = 0;
  #leaseFailures = 0;
  #abort = new AbortController();
  #heartbeat: ReturnType<typeof setInterval> | null = null;
  #current: (Work & { backend: BackendClass }) | null = null;
  /** Work units handed to the worker and not yet finished (the current one and the one queued behind it). */
  readonly #inWorker = new Set<Work>();
  /** Moving averages: compute time per work unit, and time from asking for a lease to being ready to run. */
  #computeEma: number | null = null;
  #readyEma: number | null = null;
  #computeMs = 0;
  #startedAt = 0;
  #firstComputeAt: number | null = null;
  #lastError: string | null = null;

  constructor(options: PipelineOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#capabilities = options.capabilities;
    this.#duty = clampDuty(options.throttle ?? 1);
    this.#prefetch = options.prefetch ?? true;
  }

  get running(): boolean {
    return this.#running;
  }
  get paused(): boolean {
    return this.#paused;
  }
  /** True while the coordinator has had nothing for us. */
  get waiting(): boolean {
    return this.#waiting;
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
  /** Whether a work unit is in the worker (computing, or queued there behind the one computing). */
  get busy(): boolean {
    return this.#inWorker.size > 0;
  }
  get computeMs(): number {
    return this.#computeMs;
  }
  get wallMs(): number {
    return this.#running ? this.#clock.monotonic() - this.#startedAt : 0;
  }
  /** When the first work unit started computing, on the `monotonic()` scale. */
  get firstComputeAt(): number | null {
    return this.#firstComputeAt;
  }
  get lastError(): string | null {
    return this.#lastError;
  }
  dutyCycle(): number | null {
    return this.#meter.dutyCycle(this.#clock.monotonic());
  }
  wuPerSecond(): number | null {
    return this.#meter.rate(this.#clock.monotonic());
  }

  setCapabilities(capabilities: Capabilities): void {
    this.#capabilities = capabilities;
  }

  /** Changes the duty cycle at once, also for a rest already under way; the rate meter starts over. */
  setThrottle(duty: number): void {
    this.#duty = clampDuty(duty);
    this.#meter.reset();
    this.#wake();
  }

  setPrefetch(prefetch: boolean): void {
    this.#prefetch = prefetch;
  }

  /** Finishes the current work unit, then waits until resumed. Leases are not renewed while paused. */
  pause(): void {
    this.#paused = true;
    this.#wake();
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#meter.reset();
    this.#wake();
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#abort = new AbortController();
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
   * Stops leasing. `finish` lets the current work unit complete and enter the outbox; `now` kills it.
   * Leases fetched ahead and not started are left to expire on the coordinator.
   */
  async stop(mode: 'finish' | 'now' = 'finish'): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    if (mode === 'now') this.#abort.abort();
    this.#wake();
    await this.#loop;
    this.#queue.length = 0;
  }

  async #run(): Promise<void> {
    let next: Promise<Started | null> | null = null;
    while (this.#running) {
      if (this.#paused && !next) {
        await this.#sleep(60_000);
        continue;
      }
      const current = next ? await next : await this.#startNext(true);
      next = null;
      if (!current) continue;
      // Hand the worker its next work unit now, so that it starts the moment this one ends: only at a
      // full duty cycle (a throttled volunteer rests in between) and while not paused.
      if (this.#prefetch && this.#duty >= 1 && !this.#paused && this.#running && this.#queue.length > 0)
        next = this.#startNext(false);
      const computeMs = await this.#finish(current);
      if (computeMs > 0 && !next) await this.#rest(computeMs);
    }
    // Stopped with a work unit already in the worker: finish it (stop('now') has aborted it).
    if (next) {
      const pending = await next;
      if (pending) await this.#finish(pending);
    }
  }

  /** Takes the next leased work unit (waiting for one when `wait`) and hands it to the worker. */
  async #startNext(wait: boolean): Promise<Started | null> {
    const work = wait ? await this.#take() : (this.#queue.shift() ?? null);
    if (!work) return null;
    this.#refill();
    return this.#begin(work);
  }

  /** The next work unit to compute, leasing when the queue is empty; null when stopped or paused. */
  async #take(): Promise<Work | null> {
    while (this.#running && !this.#paused) {
      const next = this.#queue.shift();
      if (next) return next;
      const wait = this.#noWorkUntil - this.#clock.monotonic();
      if (wait > 0) {
        await this.#sleep(wait);
        continue;
      }
      await this.#leaseMore(this.#prefetch ? this.#depth() + 1 : 1);
    }
    return null;
  }

  /**
   * Work units to keep leased and fetched ahead: enough to cover (twice) the time a lease takes to
   * become ready, measured against the time a work unit takes to compute (one for long work units, more for
   * tiny ones), plus the one handed to the worker ahead of time when running at a full duty cycle.
   */
  #depth(): number {
    if (!this.#prefetch) return 0;
    const handoff = this.#duty >= 1 ? 1 : 0;
    if (this.#computeEma === null || this.#readyEma === null) return 1 + handoff;
    // Twice the mean: lease latency varies far more than compute time does.
    const cover = Math.ceil((2 * this.#readyEma) / Math.max(this.#computeEma, 0.5));
    return Math.min(MAX_PREFETCH, Math.max(1, cover) + handoff);
  }

  #refill(): void {
    const want = this.#depth() - this.#queue.length;
    if (want <= 0 || this.#leasing || this.#clock.monotonic() < this.#noWorkUntil) return;
    void this.#leaseMore(want);
  }

  #leaseMore(max: number): Promise<void> {
    this.#leasing ??= this.#lease(max).finally(() => {
      this.#leasing = null;
    });
    return this.#leasing;
  }

  async #lease(max: number): Promise<void> {
    const asked = this.#clock.monotonic();
    const answer = await this.#o.client.lease({
      capabilities: this.#capabilities,
      max,
      ...(this.#o.project ? { project: this.#o.project } : {}),
    });
    if (!answer.ok) {
      const delay = backoffDelay(this.#leaseFailures++);
      this.#noWorkUntil = this.#clock.monotonic() + delay;
      this.#lastError = `lease failed: ${answer.error.message}`;
      this.#o.emit({ type: 'warning', message: `${this.#lastError}; retrying in ${Math.round(delay)} ms` });
      return;
    }
    this.#leaseFailures = 0;
    const { leases, jobs, retryAfter } = answer.value;
    if (leases.length === 0) {
      const wait = Math.min((retryAfter ?? 5) * 1000, this.#o.maxIdleWaitMs ?? Number.POSITIVE_INFINITY);
      this.#noWorkUntil = this.#clock.monotonic() + Math.max(100, wait);
      this.#waiting = true;
      return;
    }
    this.#waiting = false;
    const byId = new Map(jobs.map((j) => [j.id as string, j]));
    for (const lease of leases) {
      const job = byId.get(lease.job);
      if (!job) {
        this.#o.emit({ type: 'warning', message: `lease ${lease.lease} names job ${lease.job}, which was not sent` });
        continue;
      }
      this.counts.leased++;
      this.#o.emit({
        type: 'leased',
        lease: lease.lease,
        workUnit: lease.workUnit,
        job: job.id,
        project: job.project,
        jobName: job.name,
        ...(lease.tag !== undefined ? { tag: lease.tag } : {}),
      });
      const work: Work = {
        lease,
        job,
        leasedAt: this.#clock.now(),
        deadline: lease.deadline,
        gone: null,
        ready: this.#ready(lease, job).then((ready) => {
          this.#readyEma = ema(this.#readyEma, this.#clock.monotonic() - asked);
          return ready;
        }),
      };
      this.#queue.push(work);
    }
  }

  /** Fetches the input and assets and prepares the job in the worker: all of it while another WU computes. */
  async #ready(lease: Lease, job: LeasedJob): Promise<Ready> {
    const choice = leasedBackend(job, this.#capabilities);
    if (!choice.ok) return { ok: false, code: 'unsupported', message: choice.why };
    const { backend } = choice;
    let input: Uint8Array;
    if (lease.input !== null) {
      input = fromBase64(lease.input);
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
      if (attempt >= 4 || !this.#running)
        return { ok: false, code: 'skip', message: `input ${hash} unavailable: ${blob.error.message}` };
      await this.#sleep(backoffDelay(attempt));
    }
  }

  /** Checks a work unit is still ours and ready, and posts it to the worker (which runs it after any before it). */
  async #begin(work: Work): Promise<Started> {
    const { job } = work;
    let ready = await work.ready;
    if (work.gone) return { kind: 'skip', work, reason: work.gone };
    if (this.#clock.now() > work.deadline)
      return { kind: 'skip', work, reason: 'the lease expired before it could start' };
    if (!ready.ok) {
      if (ready.code === 'skip') return { kind: 'skip', work, reason: ready.message };
      return {
        kind: 'failed',
        work,
        code: ready.code,
        message: ready.message,
        ...(ready.backend ? { backend: ready.backend } : {}),
      };
    }
    // A timeout elsewhere may have replaced the worker since this job was prepared: prepare again (cached).
    const again = await this.#o.compute.prepare(job.id, job.spec, ready.backend, this.#o.assets);
    if (!again.ok) ready = { ...again, backend: ready.backend };
    if (!ready.ok)
      return {
        kind: 'failed',
        work,
        code: ready.code as ComputeErrorCode,
        message: ready.message,
        backend: ready.backend!,
      };
    this.#inWorker.add(work);
    const issuedAt = this.#clock.monotonic();
    // A copy goes to the worker (transferred, so detached here): the original stays for a re-run.
    const outcome = this.#o.compute.run(job.id, ready.input.slice(), job.timeBudgetMs, this.#abort.signal);
    return { kind: 'run', work, backend: ready.backend, issuedAt, outcome };
  }

  /** Waits for a work unit's outcome and puts its result, or its error result, in the outbox. Returns compute time. */
  async #finish(started: Started): Promise<number> {
    const { work } = started;
    const { lease, job } = work;
    if (started.kind === 'skip') return this.#skip(work, started.reason);
    if (started.kind === 'failed') {
      await this.#report(work, started.code, started.message, started.backend);
      return 0;
    }
    const { backend } = started;
    this.#current = Object.assign(work, { backend });
    const outcome = await started.outcome;
    const ended = this.#clock.monotonic();
    if (this.#current === work) this.#current = null;
    if (isInterrupted(outcome)) {
      this.#inWorker.delete(work);
      // Never ran (another work unit's timeout replaced the worker): run it again on the new worker.
      if (outcome.code === 'restarted' && this.#running) this.#queue.unshift(work);
      return 0;
    }
    // The worker's own timestamps, when it gave them: they leave out the page's latency in between.
    const start = outcome.startedAt ?? started.issuedAt;
    const end = outcome.endedAt ?? ended;
    const computeMs = Math.max(0, end - start);
    this.#meter.record(start, end);
    this.#computeMs += computeMs;
    this.#computeEma = ema(this.#computeEma, computeMs);
    this.#firstComputeAt ??= start;
    if (!outcome.ok) {
      await this.#report(work, outcome.code, outcome.message, outcome.backend ?? backend);
      return computeMs;
    }
    // Checked again here, whatever the worker said: a result that fails is never submitted.
    const check = selfCheck(job.spec, outcome.output);
    if (!check.ok) {
      await this.#report(work, 'self_check_failed', check.reason, backend);
      return computeMs;
    }
    const result: SubmittedResult = {
      kind: 'ok',
      lease: lease.lease,
      output: toBase64(outcome.output),
      outputHash: outcome.outputHash as BlobHash,
      backend: outcome.backend,
      elapsedMs: Math.round(outcome.elapsedMs * 1000) / 1000,
    };
    await this.#o.outbox.put({ id: lease.lease, result, createdAt: this.#clock.now() });
    // Busy until its result is recorded and counted: a paused volunteer is 'paused' only once nothing is left.
    this.#inWorker.delete(work);
    this.counts.computed++;
    this.#o.emit({
      type: 'computed',
      lease: lease.lease,
      workUnit: lease.workUnit,
      job: job.id,
      backend: outcome.backend,
      elapsedMs: outcome.elapsedMs,
      outputHash: outcome.outputHash,
      output: outcome.output,
      startedAt: start,
      endedAt: end,
    });
    this.#o.onResult();
    return computeMs;
  }

  #skip(work: Work, why: string): number {
    this.#o.emit({ type: 'warning', message: `work unit ${work.lease.workUnit} skipped: ${why}` });
    return 0;
  }

  async #report(work: Work, code: ComputeErrorCode, message: string, backend?: BackendClass): Promise<void> {
    const result: SubmittedResult = {
      kind: 'error',
      lease: work.lease.lease,
      code,
      message: message.slice(0, 2000),
      ...(backend ? { backend } : {}),
    };
    await this.#o.outbox.put({ id: work.lease.lease, result, createdAt: this.#clock.now() });
    this.#inWorker.delete(work);
    this.counts.failed++;
    this.#lastError = `${code}: ${message}`;
    this.#o.emit({
      type: 'failed',
      lease: work.lease.lease,
      workUnit: work.lease.workUnit,
      job: work.job.id,
      code,
      message,
    });
    this.#o.onResult();
  }

  /** Rests after a work unit so that compute ÷ wall time matches the duty cycle; re-evaluated on change. */
  async #rest(computeMs: number): Promise<void> {
    const ended = this.#clock.monotonic();
    while (this.#running) {
      const left = ended + restAfter(computeMs, this.#duty) - this.#clock.monotonic();
      if (left <= 0) return;
      await this.#sleep(left);
    }
  }

  /** Renews leases past half their life, and forgets those the coordinator no longer holds for us. */
  async #renewLeases(): Promise<void> {
    if (this.#paused) return;
    const now = this.#clock.now();
    const held = [...this.#queue, ...this.#inWorker].filter(
      (w) => !w.gone && now > w.leasedAt + (w.deadline - w.leasedAt) / 2,
    );
    if (held.length === 0) return;
    const answer = await this.#o.client.heartbeat(held.map((w) => w.lease.lease));
    if (!answer.ok) {
      this.#o.emit({ type: 'warning', message: `heartbeat failed: ${answer.error.message}` });
      return;
    }
    const rows = new Map(answer.value.leases.map((r) => [r.lease as string, r]));
    for (const work of held) {
      const row = rows.get(work.lease.lease);
      if (row?.deadline != null) {
        work.leasedAt = now;
        work.deadline = row.deadline;
      } else if (row) work.gone = `the coordinator reports the lease as ${row.state}`;
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#sleepers.add(done);
    });
  }

  #wake(): void {
    for (const wake of [...this.#sleepers]) wake();
  }
}
