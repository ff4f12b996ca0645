// The one interface every compute backend implements; the worker picks an executor per job.
import type { BackendClass, JobSpec } from '@bricolage/protocol';

/** Why a computation produced no result: the `code` of the error result reported to the coordinator. */
export type ComputeErrorCode =
  | 'timeout'
  | 'device_lost'
  | 'self_check_failed'
  | 'compile_failed'
  | 'runtime_error'
  | 'unsupported';

/** Asset bytes by lowercase hex SHA-256, already verified against their hash. */
export type AssetMap = ReadonlyMap<string, Uint8Array>;

export interface Executor {
  readonly backend: BackendClass;
  /** Compiles or loads whatever the job needs; called once per job per worker. */
  prepare(job: string, spec: JobSpec, assets: AssetMap): Promise<void>;
  /** Computes one work unit: the output bytes, exactly as declared by the job. */
  run(job: string, input: Uint8Array): Promise<Uint8Array>;
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

/** The asset hashes a job needs on a backend. */
export function assetsFor(spec: JobSpec, backend: BackendClass): string[] {
  if (spec.kind === 'onnx') return [spec.model];
  if (backend === 'wasm') return spec.wasm ? [spec.wasm.module] : [];
  return [spec.shader];
}
