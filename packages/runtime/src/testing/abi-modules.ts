// Hand-assembled WebAssembly modules for tests (unit and browser): tiny, readable byte by byte, built
// without a toolchain.
// Each follows the work-unit ABI (docs/WASM_ABI.md): memory, input_ptr(), output_ptr(), run(len) -> len,
// and const_ptr(i) when asked for one.

export type RunBody =
  /** Output = input (both at offset 0). */
  | 'copy'
  /** Never returns. */
  | 'loop'
  /** Returns -7: the module's own error. */
  | 'negative'
  /** Executes `unreachable`. */
  | 'trap';

const uleb = (value: number): number[] => {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
};
/** Signed LEB128, as i32.const wants its operand. */
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
const name = (text: string) => [...uleb(text.length), ...[...text].map((c) => c.charCodeAt(0))];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const body = (code: number[]) => [...uleb(code.length + 1), 0x00, ...code]; // no locals

const RUN: Record<RunBody, number[]> = {
  copy: [0x20, 0x00, 0x0b], // local.get 0
  loop: [0x03, 0x40, 0x0c, 0x00, 0x0b, 0x41, 0x00, 0x0b], // loop br 0 end; i32.const 0
  negative: [0x41, 0x79, 0x0b], // i32.const -7
  trap: [0x00, 0x0b], // unreachable
};

export interface AbiModuleOptions {
  /** Import the memory instead of exporting it, which the runtime must refuse. */
  readonly importMemory?: boolean;
  /** Export `const_ptr(i)`, returning this address for every i. */
  readonly constPtr?: number;
  /** Where output_ptr() points (default 0, where the input is written). */
  readonly outputPtr?: number;
}

/** An ABI module of one memory page whose run() does `run`. */
export function abiModule(run: RunBody, options: AbiModuleOptions = {}): Uint8Array {
  const types = section(
    1,
    vec([
      [0x60, 0x00, 0x01, 0x7f],
      [0x60, 0x01, 0x7f, 0x01, 0x7f],
    ]),
  );
  const imports = options.importMemory ? section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])) : [];
  const constPtr = options.constPtr !== undefined;
  const functions = section(3, vec([[0], [0], [1], ...(constPtr ? [[1]] : [])]));
  const memory = options.importMemory ? [] : section(5, vec([[0x00, 0x01]]));
  const exports = section(
    7,
    vec([
      [...name('memory'), 0x02, 0],
      [...name('input_ptr'), 0x00, 0],
      [...name('output_ptr'), 0x00, 1],
      [...name('run'), 0x00, 2],
      ...(constPtr ? [[...name('const_ptr'), 0x00, 3]] : []),
    ]),
  );
  const code = section(
    10,
    vec([
      body([0x41, 0x00, 0x0b]),
      body([0x41, ...sleb(options.outputPtr ?? 0), 0x0b]),
      body(RUN[run]),
      ...(constPtr ? [body([0x41, ...sleb(options.constPtr as number), 0x0b])] : []),
    ]),
  );
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...types,
    ...imports,
    ...functions,
    ...memory,
    ...exports,
    ...code,
  ]);
}
