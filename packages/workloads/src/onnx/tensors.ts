// The work-unit ABI for ONNX jobs: tensors concatenated in declared order, float32 little-endian.
import type { TensorSpec } from '@bricolage/protocol';
import { elementCount } from './graph';

export function packF32(tensors: readonly Float32Array[]): Uint8Array {
  const out = new Uint8Array(tensors.reduce((n, t) => n + t.length * 4, 0));
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const t of tensors)
    for (const v of t) {
      view.setFloat32(offset, v, true);
      offset += 4;
    }
  return out;
}

/** Splits ABI bytes into one Float32Array per spec; throws when the length does not match exactly. */
export function unpackF32(bytes: Uint8Array, specs: readonly TensorSpec[]): Float32Array[] {
  const expected = specs.reduce((n, s) => n + elementCount(s.shape) * 4, 0);
  if (bytes.length !== expected) throw new Error(`expected ${expected} bytes of input, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  return specs.map((spec) => {
    if (spec.dtype !== 'float32') throw new Error(`${spec.name}: only float32 tensors are supported`);
    const t = new Float32Array(elementCount(spec.shape));
    for (let i = 0; i < t.length; i++, offset += 4) t[i] = view.getFloat32(offset, true);
    return t;
  });
}
