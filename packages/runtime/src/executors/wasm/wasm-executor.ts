// Import-free WebAssembly: the module can compute and nothing else. ABI (docs/WASM_ABI.md): exports
// `memory`, `input_ptr()`, `output_ptr()` and `run(input_len) -> output_len`, negative on error.
import type { JobSpec } from '@bricolage/protocol';
import { type AssetMap, type Executor, ExecutorError } from '../executor';

interface Prepared {
  readonly module: WebAssembly.Module;
  readonly entry: string;
}

interface AbiExports {
  readonly memory: WebAssembly.Memory;
  input_ptr(): number;
  output_ptr(): number;
  [entry: string]: unknown;
}

/** Compiles a module and refuses it unless it has no imports and exports the ABI. */
export async function compileImportFree(bytes: Uint8Array, entry = 'run'): Promise<WebAssembly.Module> {
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } catch (error) {
    throw new ExecutorError('compile_failed', `invalid WebAssembly: ${(error as Error).message}`);
  }
  const imports = WebAssembly.Module.imports(module);
  if (imports.length > 0) {
    const names = imports.map((i) => `${i.module}.${i.name}`).join(', ');
    throw new ExecutorError('compile_failed', `a work-unit module must have no imports; it imports ${names}`);
  }
  const exports = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
  for (const [name, kind] of [
    ['memory', 'memory'],
    ['input_ptr', 'function'],
    ['output_ptr', 'function'],
    [entry, 'function'],
  ] as const) {
    if (exports.get(name) !== kind) throw new ExecutorError('compile_failed', `the module must export ${kind} ${name}`);
  }
  return module;
}

/** Runs one work unit in a fresh instance, so no state leaks from one work unit to the next. */
export function runAbi(module: WebAssembly.Module, entry: string, input: Uint8Array): Uint8Array {
  const instance = new WebAssembly.Instance(module, {});
  const abi = instance.exports as unknown as AbiExports;
  const run = abi[entry] as (length: number) => number;
  try {
    const inputPtr = abi.input_ptr() >>> 0;
    if (inputPtr + input.length > abi.memory.buffer.byteLength)
      throw new ExecutorError('runtime_error', `input_ptr ${inputPtr} + ${input.length} bytes is outside memory`);
    new Uint8Array(abi.memory.buffer, inputPtr, input.length).set(input);
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
    const entry = spec.wasm.export;
    this.#jobs.set(job, { module: await compileImportFree(bytes, entry), entry });
  }

  async run(job: string, input: Uint8Array): Promise<Uint8Array> {
    const prepared = this.#jobs.get(job);
    if (!prepared) throw new ExecutorError('runtime_error', `job ${job} was not prepared`);
    return runAbi(prepared.module, prepared.entry, input);
  }

  forget(job: string): void {
    this.#jobs.delete(job);
  }
}
