// ONNX models on onnxruntime-web: one session per (model hash, graph optimisation level) on each execution
// provider, inputs cut from the WU's bytes in declared order, outputs concatenated in declared order.
import type { BackendClass, JobSpec, OnnxSpec, TensorDType } from '@bricolage/protocol';
import { concatBytes, sha256Hex } from '@bricolage/protocol';
import type * as Ort from 'onnxruntime-web';
import { bytesOf, splitOnnxInput, tensorBytes, typedView } from '../../abi';
import { type AssetMap, type Executor, ExecutorError, type WarmStage } from '../executor';
import { tinyModel } from './onnx-bytes';
import type { OrtLoader, OrtModule } from './ort';

export type OnnxProvider = 'wasm' | 'webgpu';

/** The least model onnxruntime will run: Y = Identity(X), one float. */
const WARM_MODEL = tinyModel(
  'bricolage-warm',
  [{ op: 'Identity', inputs: ['X'], outputs: ['Y'] }],
  [{ name: 'X', shape: [1] }],
  [{ name: 'Y', shape: [1] }],
);
type Optimization = NonNullable<OnnxSpec['graphOptimization']>;

interface LoadedSession {
  readonly session: Ort.InferenceSession;
  /** The onnxruntime build the session belongs to: its tensors must come from the same build. */
  readonly ort: OrtModule;
}

interface PreparedJob extends LoadedSession {
  readonly spec: OnnxSpec;
}

export class OnnxExecutor implements Executor {
  readonly backend: BackendClass;
  readonly #provider: OnnxProvider;
  readonly #ort: OrtLoader;
  readonly #sessions = new Map<string, Promise<LoadedSession>>();
  readonly #jobs = new Map<string, PreparedJob>();
  #creating: Promise<unknown> = Promise.resolve();
  #loaded: Promise<void> | undefined;
  #running: Promise<void> | undefined;

  constructor(provider: OnnxProvider, ort: OrtLoader) {
    this.#provider = provider;
    this.#ort = ort;
    this.backend = provider === 'webgpu' ? 'onnx-webgpu' : 'onnx-wasm';
  }

  async prepare(job: string, spec: JobSpec, assets: AssetMap): Promise<void> {
    if (spec.kind !== 'onnx') throw new ExecutorError('unsupported', 'not an onnx job');
    const { session, ort } = await this.session(spec.model, assets, spec.graphOptimization ?? 'all');
    const missing = spec.inputs.map((t) => t.name).filter((n) => !session.inputNames.includes(n));
    missing.push(...spec.outputs.map((t) => t.name).filter((n) => !session.outputNames.includes(n)));
    if (missing.length > 0)
      throw new ExecutorError('compile_failed', `the model has no input or output named ${missing.join(', ')}`);
    this.#jobs.set(job, { spec, session, ort });
  }

  /** The session for a model at an optimisation level, created once; the bytes are checked against the hash that names them. */
  session(model: string, assets: AssetMap, optimization: Optimization): Promise<LoadedSession> {
    const key = `${model}:${optimization}`;
    let session = this.#sessions.get(key);
    if (!session) {
      session = this.#createSession(model, assets, optimization);
      this.#sessions.set(key, session);
      session.catch(() => this.#sessions.delete(key));
    }
    return session;
  }

  async #createSession(model: string, assets: AssetMap, optimization: Optimization): Promise<LoadedSession> {
    const bytes = assets.get(model);
    if (!bytes) throw new ExecutorError('runtime_error', `model ${model} was not provided`);
    if ((await sha256Hex(bytes)) !== model)
      throw new ExecutorError('runtime_error', `model bytes do not hash to ${model}`);
    const ort = await this.#ort.forProvider(this.#provider);
    try {
      const session = await this.#oneAtATime(() =>
        ort.InferenceSession.create(bytes, {
          executionProviders: [this.#provider],
          graphOptimizationLevel: optimization,
        }),
      );
      return { session, ort };
    } catch (error) {
      throw new ExecutorError('compile_failed', `onnxruntime could not load the model: ${(error as Error).message}`);
    }
  }

  /**
   * Readies onnxruntime before the first job names it: `load` fetches its module and its ~14 MB of wasm; `start`
   * also starts its runtime (compiling the wasm, starting its threads) with a one-node model, so that the first
   * job's session pays only for its own model: ~0.7 s of every ONNX job's first unit was onnxruntime itself
   * (BENCHMARKS.md, browser runtime). Each stage runs once.
   */
  warm(stage: WarmStage): Promise<void> {
    this.#loaded ??= this.#ort.forProvider(this.#provider).then(
      () => undefined,
      (error: Error) => console.warn(`onnxruntime did not load ahead of its first job: ${error.message}`),
    );
    if (stage === 'load') return this.#loaded;
    this.#running ??= (async () => {
      try {
        const ort = await this.#ort.forProvider(this.#provider);
        await this.#oneAtATime(async () => {
          const session = await ort.InferenceSession.create(WARM_MODEL, { executionProviders: [this.#provider] });
          await session.release();
        });
      } catch (error) {
        // Nothing is lost: the job's own preparation loads onnxruntime again and reports what fails.
        console.warn(`onnxruntime did not start ahead of its first job: ${(error as Error).message}`);
      }
    })();
    return this.#running;
  }

  /**
   * Sessions are created one after another: onnxruntime's WebGPU build (asyncify) hung for good when a second
   * session was created while the first was still being made (the warm-up's beside the first job's:
   * e2e/runtime/workloads.spec.ts, every time).
   */
  #oneAtATime<T>(create: () => Promise<T>): Promise<T> {
    const next = this.#creating.then(create);
    this.#creating = next.catch(() => undefined);
    return next;
  }

  async run(job: string, input: Uint8Array): Promise<Uint8Array> {
    const [output] = await this.#infer(job, [input]);
    return output!;
  }

  stacks(job: string): boolean {
    return this.#jobs.get(job)?.spec.stackable === true;
  }

  /**
   * Several units in one run: each input tensor is the units' tensors one after the other along the first
   * dimension (row-major, so their bytes concatenated), and each output is cut back into the units' parts.
   */
  runStacked(job: string, inputs: readonly Uint8Array[]): Promise<Uint8Array[]> {
    if (!this.stacks(job)) throw new ExecutorError('runtime_error', `job ${job} does not stack units`);
    return this.#infer(job, inputs);
  }

  async #infer(job: string, inputs: readonly Uint8Array[]): Promise<Uint8Array[]> {
    const prepared = this.#jobs.get(job);
    if (!prepared) throw new ExecutorError('runtime_error', `job ${job} was not prepared`);
    const { spec, session, ort } = prepared;
    const n = inputs.length;
    const units = inputs.map((input) => splitOnnxInput(spec, input));
    const feeds: Record<string, Ort.Tensor> = {};
    for (const [k, tensor] of spec.inputs.entries()) {
      const bytes = n === 1 ? units[0]![k]!.bytes : concatBytes(units.map((parts) => parts[k]!.bytes));
      const shape = n === 1 ? tensor.shape : [tensor.shape[0]! * n, ...tensor.shape.slice(1)];
      feeds[tensor.name] = new ort.Tensor(tensor.dtype, typedView(tensor.dtype, bytes), shape);
    }
    let results: Ort.InferenceSession.ReturnType;
    try {
      results = await session.run(
        feeds,
        spec.outputs.map((t) => t.name),
      );
    } catch (error) {
      throw new ExecutorError('runtime_error', `inference failed: ${(error as Error).message}`);
    }
    const parts: Uint8Array[][] = inputs.map(() => []);
    for (const t of spec.outputs) {
      const tensor = results[t.name];
      if (!tensor) throw new ExecutorError('runtime_error', `the model produced no output ${t.name}`);
      if (tensor.type !== (t.dtype satisfies TensorDType))
        throw new ExecutorError('self_check_failed', `output ${t.name} is ${tensor.type}, the job declares ${t.dtype}`);
      const data = bytesOf((await tensor.getData()) as ArrayBufferView);
      const size = tensorBytes(t);
      if (data.length !== size * n)
        throw new ExecutorError(
          'self_check_failed',
          `output ${t.name} is ${data.length} bytes, declared ${size}${n > 1 ? ` for each of ${n} units` : ''}`,
        );
      // Copied out before the tensor is disposed.
      for (const [i, unit] of parts.entries()) unit.push(n === 1 ? data : data.slice(i * size, (i + 1) * size));
      tensor.dispose();
    }
    return parts.map((unit) => (unit.length === 1 ? unit[0]! : concatBytes(unit)));
  }

  forget(job: string): void {
    this.#jobs.delete(job);
  }
}
