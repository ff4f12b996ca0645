// What every workload shipped with the grid provides: a job definition, inputs and a CPU reference.
import type { CreateJobRequest } from '@bricolage/protocol';

export interface WorkUnitInput {
  /** Input bytes: the concatenation of the job's inputs in declared order (see docs/WASM_ABI.md). */
  readonly input: Uint8Array;
  /** The researcher's label for this work unit, returned with its result. */
  readonly tag: string;
  /** Set for known-answer work units: the output a correct volunteer must return. */
  readonly expected?: Uint8Array;
}

export interface JobBundle {
  /** The job to create; asset hashes in it refer to `blobs`. */
  readonly request: CreateJobRequest;
  /** Content-addressed assets the job refers to (WGSL source, wasm module, ONNX model). */
  readonly blobs: readonly Uint8Array[];
}

export interface Workload<Params> {
  readonly name: string;
  /** Node only: reads built assets (wasm, models) from disk. */
  job(params: Params): Promise<JobBundle>;
  workUnits(params: Params): Iterable<WorkUnitInput>;
  /** The CPU reference: the output bytes a correct volunteer returns for this input. */
  reference(input: Uint8Array): Uint8Array;
}
