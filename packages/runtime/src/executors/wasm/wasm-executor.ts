// Import-free WebAssembly: the module can compute and nothing else. ABI (docs/WASM_ABI.md): exports
// `memory`, `input_ptr()`, `output_ptr()`, `run(input_len) -> output_len` (negative on error), and
// `const_ptr(i)` when the job has constant bindings.
import { type JobSpec, type WasmAbiShape, wasmAbiProblem, wasmAbiShape } from '@bricolage/protocol';
import { type AssetMap, constantBytes, type Executor, ExecutorError } from '../executor';

interface Prepared {
  readonly module: WebAssembly.Module;
  readonly entry: string;
  /** The job's constants, written into every fresh instance before its input. */
  readonly constants: readonly Uint8Array[];
}

interface AbiExports {
  readonly memory: WebAssembly.Memory;
  input_ptr(): number;
  output_ptr(): number;
  const_ptr?(index: number): number;
  [entry: string]: unknown;
}

/** Compiles a module and refuses it unless it has no imports and exports the ABI the job needs. */
export async function compileImportFree(
  bytes: Uint8Array,
  shape: WasmAbiShape = { entry: 'run', constants: 0 },
): Promise<WebAssembly.Module> {
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } catch (error) {
    throw new ExecutorError('compile_failed', `invalid WebAssembly: ${(error as Error).message}`);
  }
  const problem = wasmAbiProblem(module, shape);
  if (problem) throw new ExecutorError('compile_failed', problem);
  return module;
}

/** Copies `bytes` into the instance's memory at `ptr`, refusing a range outside it. */
function place(abi: AbiExports, ptr: number, bytes: Uint8Array, what: string): void {
  if (ptr + bytes.length > abi.memory.buffer.byteLength)
    throw new ExecutorError('runtime_error', `${what} ${ptr} + ${bytes.length} bytes is outside memory`);
  new Uint8Array(abi.memory.buffer, ptr, bytes.length).set(bytes);
}

/**
 * Runs one work unit in a fresh instance, so no state leaks from one work unit to the next: constants
 * at const_ptr(i), the input at input_ptr(), then run(input_len).
 */
export function runAbi(
  module: WebAssembly.Module,
  entry: string,
  input: Uint8Array,
  constants: readonly Uint8Array[] = [],
): Uint8Array {
  const instance = new WebAssembly.Instance(module, {});
  const abi = instance.exports as unknown as AbiExports;
  const run = abi[entry] as (length: number) => number;
  try {
    for (const [i, bytes] of constants.entries())
      place(abi, (abi.const_ptr as (index: number) => number)(i) >>> 0, bytes, `const_ptr(${i})`);
    place(abi, abi.input_ptr() >>> 0, input, 'input_ptr');
    const length = run(input.length);
    if (length < 0) throw new ExecutorError('runtime_error', `${entry}() returned error ${length}`);
    const outputPtr = abi.output_ptr() >>> 0;
    // Read the buffer after run(): the module may have grown its memory.
    if (outputPtr + length > abi.memory.buffer.byteLength)
      throw new ExecutorError('runtime_error', `output_ptr ${outputPtr} + ${length} bytes is outside memory`);
    return new Uint8Array(abi.memory.buffer, outputPtr, length).slice();
  } catch (error) {
    if (error instanceof ExecutorError) throw error;
    // A trap (unreachable, out-of-bounds access, stack overflow) is the module's error, not ours.
    throw new ExecutorError('runtime_error', `module trapped: ${(error as Error).message}`);
  }
}

export class WasmExecutor implements Executor {
  readonly backend = 'wasm' as const;
  readonly #jobs = new Map<string, Prepared>();

  async prepare(job: string, spec: JobSpec, assets: AssetMap): Promise<void> {
    if (spec.kind !== 'wgsl' || !spec.wasm)
      throw new ExecutorError('unsupported', 'the job has no wasm implementation');
    const bytes = assets.get(spec.wasm.module);
    if (!bytes) throw new ExecutorError('runtime_error', `wasm module ${spec.wasm.module} was not provided`);
    const module = await compileImportFree(bytes, wasmAbiShape(spec));
    this.#jobs.set(job, { module, entry: spec.wasm.export, constants: constantBytes(spec, assets) });
  }

  async run(job: string, input: Uint8Array): Promise<Uint8Array> {
    const prepared = this.#jobs.get(job);
    if (!prepared) throw new ExecutorError('runtime_error', `job ${job} was not prepared`);
    return runAbi(prepared.module, prepared.entry, input, prepared.constants);
  }

  forget(job: string): void {
    this.#jobs.delete(job);
  }
}
