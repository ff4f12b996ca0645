// Host side of the import-free WebAssembly work-unit ABI (docs/WASM_ABI.md), for tests, scripts and
// references: copy the input in at input_ptr(), call run(input_len), copy output_len bytes out.
// No node: imports, so it runs in a browser too.

export interface AbiExports {
  readonly memory: WebAssembly.Memory;
  input_ptr(): number;
  output_ptr(): number;
  run(inputLength: number): number;
}

export class AbiError extends Error {
  override readonly name = 'AbiError';
}

/** Compiles a work-unit module, refusing one that imports anything or lacks an ABI export. */
export function compileAbi(bytes: Uint8Array): WebAssembly.Module {
  const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  const imports = WebAssembly.Module.imports(module);
  if (imports.length > 0)
    throw new AbiError(
      `a work-unit module must have no imports; it imports ${imports.map((i) => `${i.module}.${i.name}`).join(', ')}`,
    );
  const exports = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
  for (const [name, kind] of [
    ['memory', 'memory'],
    ['input_ptr', 'function'],
    ['output_ptr', 'function'],
    ['run', 'function'],
  ] as const)
    if (exports.get(name) !== kind) throw new AbiError(`the module must export ${kind} ${name}`);
  return module;
}

/** Runs one work unit in a fresh instance, so no state carries over from the previous one. */
export function runAbi(module: WebAssembly.Module, input: Uint8Array): Uint8Array {
  const abi = new WebAssembly.Instance(module, {}).exports as unknown as AbiExports;
  const inputPtr = abi.input_ptr() >>> 0;
  if (inputPtr + input.length > abi.memory.buffer.byteLength)
    throw new AbiError(`input of ${input.length} bytes does not fit at input_ptr ${inputPtr}`);
  new Uint8Array(abi.memory.buffer, inputPtr, input.length).set(input);
  const length = abi.run(input.length);
  if (length < 0) throw new AbiError(`run() returned error ${length}`);
  const outputPtr = abi.output_ptr() >>> 0;
  // The memory may have grown during run(): take a fresh view of its buffer.
  if (outputPtr + length > abi.memory.buffer.byteLength)
    throw new AbiError(`output of ${length} bytes at output_ptr ${outputPtr} lies outside memory`);
  return new Uint8Array(abi.memory.buffer, outputPtr, length).slice();
}
