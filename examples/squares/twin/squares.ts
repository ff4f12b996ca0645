// @ts-nocheck: AssemblyScript (u32, usize, load<T>, memory.data), not TypeScript.
// The wasm twin of squares.wgsl, behind the import-free work-unit ABI (docs/WASM_ABI.md): the host writes
// the job's constant (offset.bin) at const_ptr(0) and the input at input_ptr(), calls run, reads the output.
// Built into ../squares.wasm by `npx asc examples/squares/twin/squares.ts -o examples/squares/squares.wasm -O3 --noAssert --runtime stub --use abort=`.

const input: usize = memory.data(256, 16);
const offset: usize = memory.data(16, 16);
const output: usize = memory.data(256, 16);

export function input_ptr(): usize {
  return input;
}

export function output_ptr(): usize {
  return output;
}

export function const_ptr(index: i32): usize {
  return index === 0 ? offset : <usize>0xffffffff;
}

/** ys[i] = xs[i] * xs[i] + offset[0] (mod 2^32); -1 when the input is not 64 u32s. */
export function run(inputLen: i32): i32 {
  if (inputLen !== 256) return -1;
  const k = load<u32>(offset);
  for (let i: usize = 0; i < 64; i++) {
    const x = load<u32>(input + (i << 2));
    store<u32>(output + (i << 2), x * x + k);
  }
  return 256;
}
