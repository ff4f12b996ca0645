// The page's handle on the compute worker. It enforces time budgets the only way a stuck kernel can be
// stopped, by terminating the worker, and then starts a fresh one; jobs are prepared again lazily.
import type { BackendClass, JobSpec } from '@bricolage/protocol';
import { proxy, type Remote, transfer, wrap } from 'comlink';
import type { CalibrationOptions, CalibrationReport } from './calibration/calibrate';
import type { ComputeApi, ComputeConfig, ComputeOutcome, DeviceProbe, OutcomeRun, PrepareOutcome } from './compute/api';
import { assetsFor, type WarmStage } from './executors/executor';
import type { OrtWasmSource } from './executors/onnx/ort-wasm';
import { endGeneration, type GenerationEnd, newGeneration, watchEnd } from './generation-end';

export type WorkerFactory = () => Worker;

export const defaultWorkerFactory: WorkerFactory = () =>
  new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'bricolage-compute' });

export interface ComputeHostOptions {
  readonly config: ComputeConfig;
  readonly createWorker?: WorkerFactory;
  /** Called after a worker was terminated and replaced, with the reason. */
  readonly onRestart?: (reason: string) => void;
  /** Where each worker gets onnxruntime's .wasm bytes (instead of fetching them by URL). */
  readonly ortWasm?: OrtWasmSource;
}

/** Fetches (and verifies) the assets a job needs, by hash. */
export type AssetSource = (hashes: readonly string[]) => Promise<Map<string, Uint8Array>>;

export class ComputeHost {
  readonly #options: ComputeHostOptions;
  /** Null until something needs the worker: a page that only delivers old results starts none. */
  #worker: Worker | null = null;
  #api!: Remote<ComputeApi>;
  #ready!: Promise<void>;
  /** Jobs prepared in the current worker, with the backend they were prepared for. */
  #prepared = new Map<string, Promise<PrepareOutcome>>();
  #restarts = 0;
  #losses = 0;
  #closed = false;
  #generation = 0;
  /** Settles when the last run started has settled: runs reach their time budgets in order. */
  #tail: Promise<void> = Promise.resolve();
  /** The current worker's mourners: told when it is terminated, so nothing waits forever on a dead worker. */
  #generationEnd: GenerationEnd = newGeneration();

  constructor(options: ComputeHostOptions) {
    this.#options = options;
  }

  get restarts(): number {
    return this.#restarts;
  }

  /** Work units that ended with the WebGPU device lost. */
  get deviceLosses(): number {
    return this.#losses;
  }

  /** The worker's API, for calls that need no time budget. */
  get api(): Remote<ComputeApi> {
    this.#started();
    return this.#api;
  }

  async probe(): Promise<DeviceProbe> {
    this.#started();
    await this.#ready;
    return this.#api.probe();
  }

  async calibrate(options?: CalibrationOptions): Promise<CalibrationReport> {
    this.#started();
    await this.#ready;
    return this.#api.calibrate(options);
  }

  /** Readies what every job of `backend` needs, ahead of the first (ComputeApi.warm); rejects if the worker ends first. */
  async warm(backend: BackendClass, stage: WarmStage): Promise<void> {
    this.#started();
    const api = this.#api;
    const gone = watchEnd(this.#generationEnd);
    try {
      await Promise.race([this.#ready, gone.promise]);
      await Promise.race([api.warm(backend, stage), gone.promise]);
    } finally {
      gone.release();
    }
  }

  /** Prepares a job once per worker; concurrent callers share the one preparation. */
  async prepare(job: string, spec: JobSpec, backend: BackendClass, assets: AssetSource): Promise<PrepareOutcome> {
    for (;;) {
      const generation = this.#generation;
      const outcome = await this.#prepareOnce(job, spec, backend, assets);
      // The worker was replaced while preparing (another work unit timed out): prepare on the new one.
      if (generation === this.#generation || this.#closed) return outcome;
    }
  }

  #prepareOnce(job: string, spec: JobSpec, backend: BackendClass, assets: AssetSource): Promise<PrepareOutcome> {
    const key = `${job}:${backend}`;
    let prepared = this.#prepared.get(key);
    if (!prepared) {
      this.#started();
      const api = this.#api;
      const gone = watchEnd(this.#generationEnd);
      prepared = (async () => {
        await Promise.race([this.#ready, gone.promise]);
        const bytes = await assets(assetsFor(spec, backend));
        return Promise.race([api.prepare({ job, spec, backend, assets: bytes }), gone.promise]);
      })()
        .catch((error: Error) => ({ ok: false as const, code: 'runtime_error' as const, message: error.message }))
        .finally(gone.release);
      this.#prepared.set(key, prepared);
      // A preparation that failed for want of something (an asset's fetch, the worker replaced) is tried again
      // for the next unit; one the job's code itself failed (it does not compile here, or this device cannot
      // run it) fails the same way each time, and is kept: compiling it again for every unit leased would
      // burn the device at any throttle, as no unit ever runs to rest after.
      prepared.then((p) => {
        const deterministic = !p.ok && (p.code === 'compile_failed' || p.code === 'unsupported');
        if (!p.ok && !deterministic && this.#prepared.get(key) === prepared) this.#prepared.delete(key);
      });
    }
    return prepared;
  }

  /**
   * Runs one work unit within `budgetMs`. Past the budget, or when `signal` aborts, the worker is
   * terminated and replaced, and the outcome is a `timeout` (or `aborted`) failure.
   *
   * A run may be started while the previous one is still computing: its input is posted at once, so
   * the worker goes straight from one work unit to the next, and its time budget starts when the
   * previous run ends. If the worker is replaced meanwhile, it never ran: the outcome is `restarted`.
   */
  async run(
    job: string,
    input: Uint8Array,
    budgetMs: number,
    signal?: AbortSignal,
  ): Promise<ComputeOutcome | Interrupted> {
    const [outcome] = this.runMany(job, [input], budgetMs, signal);
    return outcome!;
  }

  /**
   * Runs several work units of one job in one call to the worker, which computes them back to back and
   * tells each outcome as it ends: one outcome per input, each held to its own `budgetMs` exactly as
   * `run` holds one (a stuck unit times out alone; those after it come back `restarted`). `signal` aborts
   * them all, or, one per input, each unit alone (those after it come back `restarted` too).
   */
  runMany(
    job: string,
    inputs: readonly Uint8Array[],
    budgetMs: number,
    signal?: AbortSignal | readonly AbortSignal[],
  ): Promise<ComputeOutcome | Interrupted>[] {
    const told = inputs.map(() => {
      let tell: (outcome: ComputeOutcome) => void = () => undefined;
      let fail: (error: unknown) => void = () => undefined;
      const promise = new Promise<ComputeOutcome>((resolve, reject) => {
        tell = resolve;
        fail = reject;
      });
      promise.catch(() => undefined); // awaited by its budget below, unless the worker is replaced first
      return { promise, tell, fail };
    });
    // Each unit takes its place in the chain of budgets now, in order, before anything is awaited.
    const slots = inputs.map(() => this.#queueBudget());
    const posted = (async () => {
      this.#started();
      await this.#ready;
      const api = this.#api;
      const sentTo = { generation: this.#generation, end: this.#generationEnd };
      // Copies go to the worker (transferred, so detached here) unless the caller's buffer is whole.
      const owned = inputs.map((input) =>
        input.byteOffset === 0 && input.byteLength === input.buffer.byteLength ? input : input.slice(),
      );
      let call: Promise<unknown>;
      if (owned.length === 1) {
        call = api.run(job, transfer(owned[0]!, [owned[0]!.buffer as ArrayBuffer])).then((o) => told[0]!.tell(o));
      } else {
        const { port1, port2 } = new MessageChannel();
        port1.onmessage = ({ data }: MessageEvent<OutcomeRun>) => {
          for (const [i, outcome] of data.outcomes.entries()) told[data.first + i]?.tell(outcome);
        };
        call = api.runMany(
          job,
          transfer(
            owned,
            owned.map((o) => o.buffer as ArrayBuffer),
          ),
          transfer(port2, [port2]),
        );
        // Closed once every unit is told, or when the worker ends (replaced past a budget: it posts no more).
        const gone = watchEnd(sentTo.end);
        Promise.race([Promise.allSettled(told.map((t) => t.promise)), gone.promise])
          .catch(() => undefined)
          .finally(() => {
            gone.release();
            port1.close();
          });
      }
      call.catch((error: unknown) => {
        for (const t of told) t.fail(error);
      });
      return sentTo;
    })();
    const signalOf = (i: number): AbortSignal | undefined => (signal instanceof AbortSignal ? signal : signal?.[i]);
    return told.map((t, i) => this.#budgeted(posted, t.promise, slots[i]!, budgetMs, signalOf(i)));
  }

  /** A place in the chain of time budgets: `previous` settles when the unit before it has settled. */
  #queueBudget(): BudgetSlot {
    const previous = this.#tail;
    let settle: () => void = () => undefined;
    this.#tail = new Promise<void>((resolve) => {
      settle = resolve;
    });
    return { previous, settle };
  }

  async #budgeted(
    posted: Promise<{ generation: number; end: GenerationEnd }>,
    call: Promise<ComputeOutcome>,
    { previous, settle }: BudgetSlot,
    budgetMs: number,
    signal?: AbortSignal,
  ): Promise<ComputeOutcome | Interrupted> {
    let generation = this.#generation;
    let gone: ReturnType<typeof watchEnd> | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<'aborted'>((resolve) => {
      onAbort = () => resolve('aborted');
      if (signal?.aborted) resolve('aborted');
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const sent = await posted;
      generation = sent.generation;
      gone = watchEnd(sent.end);
      if ((await Promise.race([previous, aborted])) === 'aborted') return this.#abort(generation);
      if (generation !== this.#generation)
        return { ok: false, code: 'restarted', message: 'the worker was replaced before this work unit started' };
      const budget = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), budgetMs);
      });
      const outcome = await Promise.race([call, budget, aborted, gone.promise]);
      if (outcome === 'timeout') {
        this.restart(`work unit exceeded its time budget of ${budgetMs} ms`);
        return {
          ok: false,
          code: 'timeout',
          message: `the kernel ran past its time budget of ${budgetMs} ms and was killed`,
        };
      }
      if (outcome === 'aborted') return this.#abort(generation);
      if (!outcome.ok && outcome.code === 'device_lost') this.#losses++;
      return outcome;
    } catch (error) {
      if (generation !== this.#generation)
        return { ok: false, code: 'restarted', message: 'the worker was replaced before this work unit finished' };
      // The worker itself failed (crashed, or a message could not be delivered): start a fresh one.
      this.restart(`worker failed: ${(error as Error).message}`);
      return { ok: false, code: 'runtime_error', message: (error as Error).message };
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      gone?.release();
      settle();
    }
  }

  /** Ends the worker the aborted unit was sent to, once: several units aborted together restart it once. */
  #abort(generation: number): Interrupted {
    if (generation === this.#generation) this.restart('computation aborted');
    return { ok: false, code: 'aborted', message: 'the computation was aborted' };
  }

  forget(job: string): void {
    for (const key of [...this.#prepared.keys()]) if (key.startsWith(`${job}:`)) this.#prepared.delete(key);
    if (!this.#worker) return;
    this.#api.forget(job).catch((error: Error) => console.warn('forget failed', error));
  }

  /** Terminates the current worker (whatever it is doing); a fresh one starts with what is asked next. */
  restart(reason: string): void {
    this.#worker?.terminate();
    this.#worker = null;
    endGeneration(this.#generationEnd, new Error(`compute worker replaced: ${reason}`));
    this.#nextGeneration();
    this.#restarts++;
    if (this.#closed) return;
    this.#options.onRestart?.(reason);
  }

  close(): void {
    this.#closed = true;
    this.#worker?.terminate();
    endGeneration(this.#generationEnd, new Error('compute host closed'));
  }

  /** The worker, started on first need (not with the host). Closed, it fails at once: its worker answers no more. */
  #started(): void {
    if (this.#closed) throw new Error('compute host closed');
    if (!this.#worker) this.#spawn();
  }

  /**
   * What belonged to the worker just ended is forgotten: its preparations, its chain of budgets. The next worker
   * starts when something needs it (a Stop's abort, say, spawns none only to close it at once).
   */
  #nextGeneration(): void {
    this.#generation++;
    this.#tail = Promise.resolve();
    this.#generationEnd = newGeneration();
    this.#prepared = new Map();
  }

  #spawn(): void {
    this.#worker = (this.#options.createWorker ?? defaultWorkerFactory)();
    this.#api = wrap<ComputeApi>(this.#worker);
    const { ortWasm } = this.#options;
    this.#ready = ortWasm
      ? this.#api.configure(this.#options.config, proxy(ortWasm))
      : this.#api.configure(this.#options.config);
    this.#ready.catch((error: Error) => console.error('compute worker failed to start', error));
  }
}

/** A unit's place in the chain of time budgets. */
interface BudgetSlot {
  readonly previous: Promise<void>;
  readonly settle: () => void;
}

/** A run that produced nothing to report: aborted by the caller, or never started on a replaced worker. */
export interface Interrupted {
  readonly ok: false;
  readonly code: 'aborted' | 'restarted';
  readonly message: string;
}
