// The worker's side of the compute API: owns the executors, the WebGPU device and onnxruntime.
import type { BackendClass, JobSpec } from '@bricolage/protocol';
import { sha256Hex } from '@bricolage/protocol';
import { selfCheck } from '../abi';
import { type CalibrationOptions, type CalibrationReport, calibrate } from '../calibration/calibrate';
import { asExecutorError, assetsFor, type Executor, ExecutorError, type WarmStage } from '../executors/executor';
import { OnnxExecutor } from '../executors/onnx/onnx-executor';
import { OrtLoader } from '../executors/onnx/ort';
import type { OrtWasmSource } from '../executors/onnx/ort-wasm';
import { WasmExecutor } from '../executors/wasm/wasm-executor';
import { GpuContext } from '../executors/wgsl/gpu';
import { WgslExecutor } from '../executors/wgsl/wgsl-executor';
import { runStacked, StackSizes } from './stacking';
import type {
  ComputeApi,
  ComputeConfig,
  ComputeOutcome,
  DeviceProbe,
  OutcomeRun,
  PrepareOutcome,
  PrepareRequest,
} from './api';

interface PreparedJob {
  readonly spec: JobSpec;
  readonly executor: Executor;
}

/** Absolute time, comparable between the page and its worker (each has its own `performance.now()` origin). */
const now = (): number => performance.timeOrigin + performance.now();

const hardwareConcurrency = (): number =>
  Math.max(1, (globalThis.navigator as Navigator | undefined)?.hardwareConcurrency ?? 1);

export class ComputeService implements ComputeApi {
  #losses = 0;
  readonly #gpu = new GpuContext(() => {
    this.#losses++;
  });
  #ort = new OrtLoader({ numThreads: Math.min(4, hardwareConcurrency()) });
  #executors = new Map<BackendClass, Executor>();
  readonly #jobs = new Map<string, PreparedJob>();
  readonly #stacks = new StackSizes();
  /** Runs not yet started, in arrival order, and those computing now (all on one executor). */
  readonly #queued: { readonly executor: Executor | undefined; readonly start: () => void }[] = [];
  #active = 0;
  #activeExecutor: Executor | undefined;

  async configure(config: ComputeConfig, ortWasm?: OrtWasmSource): Promise<void> {
    this.#ort = new OrtLoader({
      ...(config.ortWasmPaths ? { wasmPaths: config.ortWasmPaths } : {}),
      ...(ortWasm ? { wasmBinary: ortWasm } : {}),
      numThreads: config.ortThreads ?? Math.min(4, hardwareConcurrency()),
    });
    this.#executors.delete('onnx-wasm');
    this.#executors.delete('onnx-webgpu');
  }

  async probe(): Promise<DeviceProbe> {
    const webgpu = await this.#gpu.capability();
    return {
      webgpu,
      wasm: typeof WebAssembly === 'object',
      onnxProviders: webgpu ? ['wasm', 'webgpu'] : ['wasm'],
      hardwareConcurrency: hardwareConcurrency(),
      crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
      ortThreads: this.#ort.threads,
    };
  }

  calibrate(options?: CalibrationOptions): Promise<CalibrationReport> {
    return calibrate(this.#gpu, this.#ort, options);
  }

  async warm(backend: BackendClass, stage: WarmStage): Promise<void> {
    await this.#executor(backend)?.warm?.(stage);
  }

  async prepare({ job, spec, backend, assets }: PrepareRequest): Promise<PrepareOutcome> {
    try {
      for (const hash of assetsFor(spec, backend)) {
        const bytes = assets.get(hash);
        if (!bytes) throw new ExecutorError('runtime_error', `asset ${hash} was not provided`);
        if ((await sha256Hex(bytes)) !== hash)
          throw new ExecutorError('runtime_error', `asset bytes do not hash to ${hash}`);
      }
      const executor = this.#executor(backend);
      if (!executor) throw new ExecutorError('unsupported', `backend ${backend} is not available here`);
      await executor.prepare(job, spec, assets);
      this.#jobs.set(job, { spec, executor });
      return { ok: true };
    } catch (error) {
      const e = asExecutorError(error, 'compile_failed');
      return { ok: false, code: e.code, message: e.message };
    }
  }

  /**
   * The page may queue the next work units before this one finishes, so that the worker never waits on the
   * page. Runs start in arrival order; several overlap only on an executor that computes several at once
   * (WebGPU's ring of slots), never across executors.
   */
  run(job: string, input: Uint8Array): Promise<ComputeOutcome> {
    return new Promise<ComputeOutcome>((resolve) => {
      this.#enqueue(job, () => this.#run(job, input).then(resolve));
    });
  }

  /**
   * Several units of one job in one turn of the queue: no message between them, no other run among them; for
   * a job that stacks, as many together in one run as its measured time per unit allows (stacking.ts).
   */
  runMany(job: string, inputs: Uint8Array[], outcomes: MessagePort): Promise<void> {
    // A cnn tab ends ~2,000 units a second: a message per unit was a task per unit on the page's main thread.
    const tell = (first: number, ended: ComputeOutcome[]) => {
      const told: OutcomeRun = { first, outcomes: ended };
      outcomes.postMessage(told);
    };
    return new Promise<void>((resolve) => {
      this.#enqueue(job, async () => {
        let index = 0;
        while (index < inputs.length) {
          const stacked = await this.#runStacked(
            job,
            inputs.slice(index, index + this.#stackSize(job, inputs.length - index)),
          );
          const ended = stacked ?? [await this.#run(job, inputs[index]!)];
          tell(index, ended);
          index += ended.length;
        }
        outcomes.close();
        resolve();
      });
    });
  }

  #stackSize(job: string, waiting: number): number {
    return this.#jobs.get(job)?.executor.stacks?.(job) ? this.#stacks.size(job, waiting) : 1;
  }

  /** The outcomes of the units run together, or null when they are not to be (one unit, or the run failed). */
  async #runStacked(job: string, inputs: Uint8Array[]): Promise<ComputeOutcome[] | null> {
    const prepared = this.#jobs.get(job);
    if (inputs.length < 2 || !prepared) return null;
    const outcomes = await runStacked(prepared.executor, job, prepared.spec, inputs, now);
    if (!outcomes) this.#stacks.refuse(job);
    else if (outcomes[0]?.ok) this.#stacks.record(job, outcomes[0].elapsedMs);
    return outcomes;
  }

  #enqueue(job: string, work: () => Promise<unknown>): void {
    this.#queued.push({
      executor: this.#jobs.get(job)?.executor,
      start: () => {
        work().finally(() => {
          this.#active--;
          this.#pump();
        });
      },
    });
    this.#pump();
  }

  /** Starts queued runs while the one at the front may overlap with those computing. */
  #pump(): void {
    for (;;) {
      const next = this.#queued[0];
      if (!next) return;
      const limit = next.executor?.concurrency ?? 1;
      if (this.#active > 0 && (next.executor !== this.#activeExecutor || this.#active >= limit)) return;
      this.#queued.shift();
      this.#active++;
      this.#activeExecutor = next.executor;
      next.start();
    }
  }

  async #run(job: string, input: Uint8Array): Promise<ComputeOutcome> {
    const startedAt = now();
    const prepared = this.#jobs.get(job);
    if (!prepared)
      return { ok: false, code: 'runtime_error', message: `job ${job} was not prepared`, startedAt, endedAt: now() };
    const { spec, executor } = prepared;
    const backend = executor.backend;
    try {
      const output = await executor.run(job, input);
      const elapsedMs = now() - startedAt;
      this.#stacks.record(job, elapsedMs);
      const check = selfCheck(spec, output);
      if (!check.ok)
        return { ok: false, code: 'self_check_failed', message: check.reason, backend, startedAt, endedAt: now() };
      const outputHash = await sha256Hex(output);
      return { ok: true, output, outputHash, backend, elapsedMs, startedAt, endedAt: now() };
    } catch (error) {
      const e = asExecutorError(error);
      return { ok: false, code: e.code, message: e.message, backend, startedAt, endedAt: now() };
    }
  }

  async forget(job: string): Promise<void> {
    this.#jobs.get(job)?.executor.forget(job);
    this.#jobs.delete(job);
    this.#stacks.forget(job);
  }

  async deviceLosses(): Promise<number> {
    return this.#losses;
  }

  async destroyDevice(when: 'now' | 'during-next-run'): Promise<void> {
    if (when === 'now') this.#gpu.destroy();
    else (this.#executor('webgpu') as WgslExecutor | undefined)?.armDestroyDuringNextRun();
  }

  #executor(backend: BackendClass): Executor | undefined {
    let executor = this.#executors.get(backend);
    if (!executor) {
      switch (backend) {
        case 'webgpu':
          if (!GpuContext.available()) return undefined;
          executor = new WgslExecutor(this.#gpu);
          break;
        case 'wasm':
          executor = new WasmExecutor();
          break;
        case 'onnx-wasm':
          executor = new OnnxExecutor('wasm', this.#ort);
          break;
        case 'onnx-webgpu':
          if (!GpuContext.available()) return undefined;
          executor = new OnnxExecutor('webgpu', this.#ort);
          break;
      }
      this.#executors.set(backend, executor);
    }
    return executor;
  }
}
