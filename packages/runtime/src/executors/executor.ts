// The one interface every compute backend implements; the worker picks an executor per job.
import { type BackendClass, constantBindings, type JobSpec } from '@bricolage/protocol';

/** Why a computation produced no result: the `code` of the error result reported to the coordinator. */
export type ComputeErrorCode =
  | 'timeout'
  | 'device_lost'
  | 'self_check_failed'
  | 'compile_failed'
  | 'runtime_error'
  | 'unsupported'
  /** Refused before anything ran: the job's signature does not hold against its project's key. */
  | 'untrusted_job';

/** WebGPU work units in flight per job and device: enough to overlap submit, compute and readback. */
export const WGSL_RING = 4;

/** Asset bytes by lowercase hex SHA-256, already verified against their hash. */
export type AssetMap = ReadonlyMap<string, Uint8Array>;

/** How far to ready a backend ahead of its first job: its code fetched, or also started. */
export type WarmStage = 'load' | 'start';

export interface Executor {
  readonly backend: BackendClass;
  /** Work units `run` may compute at once (WebGPU keeps several in flight); 1 when absent. */
  readonly concurrency?: number;
  /**
   * Readies, before any job of this backend is known, what every job of it needs (onnxruntime itself): `load`
   * fetches it, `start` also starts it. Never rejects: a job's own preparation meets and reports what fails.
   */
  warm?(stage: WarmStage): Promise<void>;
  /** Compiles or loads whatever the job needs; called once per job per worker. */
  prepare(job: string, spec: JobSpec, assets: AssetMap): Promise<void>;
  /** Computes one work unit: the output bytes, exactly as declared by the job. */
  run(job: string, input: Uint8Array): Promise<Uint8Array>;
  /** Whether `runStacked` may compute several units of the job in one run (an ONNX job's `stackable`). */
  stacks?(job: string): boolean;
  /** Several units of a job that stacks, computed in one run: each unit's output, in order. */
  runStacked?(job: string, inputs: readonly Uint8Array[]): Promise<Uint8Array[]>;
  forget(job: string): void;
}

/** The failure an executor throws; the worker turns it into an error outcome. */
export class ExecutorError extends Error {
  override readonly name = 'ExecutorError';
  constructor(
    readonly code: ComputeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const asExecutorError = (error: unknown, code: ComputeErrorCode = 'runtime_error'): ExecutorError =>
  error instanceof ExecutorError
    ? error
    : new ExecutorError(code, error instanceof Error ? error.message : String(error));

/** The asset hashes a job needs on a backend: its kernel (or twin, or model) and its constants. */
export function assetsFor(spec: JobSpec, backend: BackendClass): string[] {
  if (spec.kind === 'onnx') return [spec.model];
  const constants = constantBindings(spec).map((b) => b.blob as string);
  if (backend === 'wasm') return spec.wasm ? [spec.wasm.module, ...constants] : constants;
  return [spec.shader, ...constants];
}

/** A WGSL job's constants in binding-number order, each checked against its declared size. */
export function constantBytes(spec: JobSpec, assets: AssetMap): Uint8Array[] {
  if (spec.kind !== 'wgsl') return [];
  return constantBindings(spec).map((b) => {
    const bytes = assets.get(b.blob as string);
    if (!bytes) throw new ExecutorError('runtime_error', `constant ${b.name} (${b.blob}) was not provided`);
    if (bytes.length !== b.size)
      throw new ExecutorError(
        'runtime_error',
        `constant ${b.name} is ${bytes.length} bytes; the job declares ${b.size}`,
      );
    return bytes;
  });
}
