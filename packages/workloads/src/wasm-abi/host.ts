// Host side of the import-free WebAssembly work-unit ABI (docs/WASM_ABI.md), for tests, scripts and
// references: copy the constants in at const_ptr(i) and the input at input_ptr(), call run(input_len),
// copy output_len bytes out. No node: imports, so it runs in a browser too.
import { type WasmAbiShape, wasmAbiProblem } from '@bricolage/protocol';

export interface AbiExports {
  readonly memory: WebAssembly.Memory;
  input_ptr(): number;
  output_ptr(): number;
  const_ptr?(index: number): number;
  run(inputLength: number): number;
}

export class AbiError extends Error {
  override readonly name = 'AbiError';
}

/** Compiles a work-unit module, refusing one that imports anything or lacks an ABI export. */
export function compileAbi(
  bytes: Uint8Array,
  shape: WasmAbiShape = { entry: 'run', constants: 0 },
): WebAssembly.Module {
  const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  const problem = wasmAbiProblem(module, shape);
  if (problem) throw new AbiError(problem);
  return module;
}

function place(abi: AbiExports, ptr: number, bytes: Uint8Array, what: string): void {
  if (ptr + bytes.length > abi.memory.buffer.byteLength)
    throw new AbiError(`${what} of ${bytes.length} bytes does not fit at ${ptr}`);
  new Uint8Array(abi.memory.buffer, ptr, bytes.length).set(bytes);
}

/** Runs one work unit in a fresh instance, so no state carries over from the previous one. */
export function runAbi(
  module: WebAssembly.Module,
  input: Uint8Array,
  constants: readonly Uint8Array[] = [],
): Uint8Array {
  const abi = new WebAssembly.Instance(module, {}).exports as unknown as AbiExports;
  for (const [i, bytes] of constants.entries()) {
    if (!abi.const_ptr) throw new AbiError('the module exports no const_ptr for the constants');
    place(abi, abi.const_ptr(i) >>> 0, bytes, `constant ${i}`);
  }
  place(abi, abi.input_ptr() >>> 0, input, 'input');
  const length = abi.run(input.length);
  if (length < 0) throw new AbiError(`run() returned error ${length}`);
  const outputPtr = abi.output_ptr() >>> 0;
  // The memory may have grown during run(): take a fresh view of its buffer.
  if (outputPtr + length > abi.memory.buffer.byteLength)
    throw new AbiError(`output of ${length} bytes at output_ptr ${outputPtr} lies outside memory`);
  return new Uint8Array(abi.memory.buffer, outputPtr, length).slice();
}
