// The calibration kernel: an integer mixing loop written once in WGSL (spin.wgsl) and once as a
// hand-assembled, import-free WebAssembly module, so the two backends can be timed on the same work and
// cross-checked (the XOR of the WGSL outputs equals the wasm function's result).

/** Must match `@workgroup_size` in spin.wgsl. */
export const SPIN_WORKGROUP = 64;

/** The WGSL kernel; its loop count is the pipeline-overridable constant `iterations`. */
export { default as spinWgsl } from './spin.wgsl?raw';

/** JavaScript reference of the same loop, for tests. */
export function spinReference(n: number, iterations: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) {
    let x = i >>> 0;
    for (let k = 0; k < iterations; k++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      x = (x ^ (x >>> 13)) >>> 0;
      acc = (acc ^ x) >>> 0;
    }
  }
  return acc >>> 0;
}

const sleb = (value: number): number[] => {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
};

const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

/** `(func (export "spin") (param n i32) (param iterations i32) (result i32))`, no imports, no memory. */
export function spinWasm(): Uint8Array {
  const [N, ITER, I, K, X, ACC] = [0, 1, 2, 3, 4, 5];
  const get = (l: number) => [0x20, l];
  const set = (l: number) => [0x21, l];
  const i32 = (v: number) => [0x41, ...sleb(v)];
  const [ADD, MUL, XOR, SHR_U, GE_U] = [0x6a, 0x6c, 0x73, 0x76, 0x4f];
  const [BLOCK, LOOP, BR, BR_IF, END, VOID] = [0x02, 0x03, 0x0c, 0x0d, 0x0b, 0x40];
  const code = [
    ...[BLOCK, VOID, LOOP, VOID],
    ...[...get(I), ...get(N), GE_U, BR_IF, 1],
    ...[...get(I), ...set(X), ...i32(0), ...set(K)],
    ...[BLOCK, VOID, LOOP, VOID],
    ...[...get(K), ...get(ITER), GE_U, BR_IF, 1],
    ...[...get(X), ...i32(1664525), MUL, ...i32(1013904223), ADD, ...set(X)],
    ...[...get(X), ...get(X), ...i32(13), SHR_U, XOR, ...set(X)],
    ...[...get(ACC), ...get(X), XOR, ...set(ACC)],
    ...[...get(K), ...i32(1), ADD, ...set(K), BR, 0],
    ...[END, END],
    ...[...get(I), ...i32(1), ADD, ...set(I), BR, 0],
    ...[END, END],
    ...get(ACC),
    END,
  ];
  const body = [1, 4, 0x7f, ...code]; // one local group: 4 × i32 (i, k, x, acc)
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 2, 0x7f, 0x7f, 1, 0x7f]),
    ...section(3, [1, 0]),
    ...section(7, [1, 4, ...[...'spin'].map((c) => c.charCodeAt(0)), 0x00, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}
