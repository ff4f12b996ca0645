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

/**
 * A WGSL kernel's source and its wasm twin. In Node, `readKernelFiles` (`@bricolage/workloads/node`)
 * reads them from disk; a page would bundle them.
 */
export interface KernelFiles {
  readonly wgsl: string;
  readonly wasm: Uint8Array;
}

export interface Workload<Params> {
  readonly name: string;
  /**
   * The job and the blobs it refers to. A WGSL workload needs its kernel's files (`buildJob` in
   * `@bricolage/workloads/node` reads them); the ONNX workloads generate their models and need none.
   */
  job(params: Params, kernel?: KernelFiles): Promise<JobBundle>;
  workUnits(params: Params): Iterable<WorkUnitInput>;
  /** The CPU reference: the output bytes a correct volunteer returns for this input. */
  reference(input: Uint8Array): Uint8Array;
}

/** The kernel files a WGSL workload was given, or an error that says where to get them. */
export function requireKernel(workload: string, kernel: KernelFiles | undefined): KernelFiles {
  if (!kernel)
    throw new Error(
      `${workload}.job needs its kernel files: buildJob(${workload}, params) from @bricolage/workloads/node reads them`,
    );
  return kernel;
}
