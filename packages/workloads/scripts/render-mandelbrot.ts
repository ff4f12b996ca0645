// Assembles mandelbrot tiles into a PNG: from a results download (NDJSON lines with `tag` and a
// base64 `output`) or computed here with the wasm twin or the CPU reference.
//   tsx scripts/render-mandelbrot.ts [--results results.ndjson] [--compute wasm|reference]
//     [--width 1024 --height 768 --center-x=… --center-y=… --span … --max-iter …] [--out frame.png]
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { deflateSync } from 'node:zlib';
import { fromBase64 } from '@bricolage/protocol';
import { type Frame, TILE } from '../src/mandelbrot/layout';
import { MANDELBROT_DEEP_ZOOM, mandelbrot } from '../src/mandelbrot/workload';
import { compileAbi, runAbi } from '../src/wasm-abi/host';
import { readWasm } from '../src/wasm-abi/node';

const { values } = parseArgs({
  options: {
    results: { type: 'string' },
    compute: { type: 'string', default: 'wasm' },
    width: { type: 'string' },
    height: { type: 'string' },
    'center-x': { type: 'string' },
    'center-y': { type: 'string' },
    span: { type: 'string' },
    'max-iter': { type: 'string' },
    out: { type: 'string', default: 'mandelbrot.png' },
  },
});
const num = (text: string | undefined, fallback: number): number => (text === undefined ? fallback : Number(text));
const frame: Frame = {
  width: num(values.width, MANDELBROT_DEEP_ZOOM.width),
  height: num(values.height, MANDELBROT_DEEP_ZOOM.height),
  centerX: num(values['center-x'], MANDELBROT_DEEP_ZOOM.centerX),
  centerY: num(values['center-y'], MANDELBROT_DEEP_ZOOM.centerY),
  span: num(values.span, MANDELBROT_DEEP_ZOOM.span),
  maxIter: num(values['max-iter'], MANDELBROT_DEEP_ZOOM.maxIter),
};

/** Tile outputs by tag `mandelbrot:<column>,<row>`. */
function tiles(): Map<string, Float32Array> {
  const found = new Map<string, Float32Array>();
  const asFloats = (bytes: Uint8Array) => new Float32Array(bytes.slice().buffer);
  if (values.results) {
    for (const line of readFileSync(values.results, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const { tag, output } = JSON.parse(line) as { tag?: string | null; output?: string | null };
      if (tag && output) found.set(tag, asFloats(fromBase64(output)));
    }
    return found;
  }
  const compute =
    values.compute === 'reference'
      ? mandelbrot.reference
      : (
          (module) => (input: Uint8Array) =>
            runAbi(module, input)
        )(compileAbi(readWasm('mandelbrot')));
  const started = performance.now();
  for (const wu of mandelbrot.workUnits(frame)) found.set(wu.tag, asFloats(compute(wu.input)));
  console.log(
    `computed ${found.size} tiles with ${values.compute} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return found;
}

/** A cyclic palette over log(count), so that deep zooms (counts in the thousands) show their bands. */
function colour(count: number, low: number): [number, number, number] {
  if (count < 0) return [0, 0, 0];
  const t = Math.log2(count - low + 1) * 0.9;
  const wave = (phase: number) => Math.round(255 * (0.5 + 0.5 * Math.cos(2 * Math.PI * (t + phase))));
  return [wave(0), wave(0.15), wave(0.3)];
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** An 8-bit RGB PNG: filter type 0 on every row, deflated with node:zlib. */
function png(width: number, height: number, rgb: Uint8Array): Uint8Array {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 2, 0, 0, 0], 8);
  const rows = new Uint8Array(height * (1 + width * 3));
  for (let y = 0; y < height; y++) rows.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (1 + width * 3) + 1);
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', new Uint8Array(0)),
  ];
  return Buffer.concat(parts);
}

const found = tiles();
let low = Number.POSITIVE_INFINITY;
for (const t of found.values()) for (const v of t) if (v >= 0 && v < low) low = v;
const rgb = new Uint8Array(frame.width * frame.height * 3);
let missing = 0;
for (let ty = 0; ty < frame.height / TILE; ty++)
  for (let tx = 0; tx < frame.width / TILE; tx++) {
    const tile = found.get(`mandelbrot:${tx},${ty}`);
    if (!tile) missing++;
    for (let py = 0; py < TILE; py++)
      for (let px = 0; px < TILE; px++) {
        const x = tx * TILE + px;
        const y = ty * TILE + py;
        // A missing tile shows grey, so that gaps in a partial download are visible.
        const c = tile ? colour(tile[py * TILE + px] as number, low) : [128, 128, 128];
        rgb.set(c, (y * frame.width + x) * 3);
      }
  }
writeFileSync(values.out, png(frame.width, frame.height, rgb));
console.log(`wrote ${values.out}: ${frame.width}×${frame.height}, ${missing} tiles missing`);
