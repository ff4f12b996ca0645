// Whether two results agree under a job's comparator.
import type { Comparator } from '@bricolage/protocol';

export interface Comparable {
  readonly outputHash: string;
  readonly output: Uint8Array;
}

export function agree(comparator: Comparator, a: Comparable, b: Comparable): boolean {
  if (a.outputHash === b.outputHash) return true;
  if (comparator.kind === 'exact') return false;
  return floatsAgree(a.output, b.output, comparator.rtol, comparator.atol);
}

/** Little-endian f32, element by element: |a-b| <= atol + rtol*|b|, and NaN only matches NaN. */
export function floatsAgree(a: Uint8Array, b: Uint8Array, rtol: number, atol: number): boolean {
  if (a.length !== b.length || a.length % 4 !== 0) return false;
  const va = new DataView(a.buffer, a.byteOffset, a.byteLength);
  const vb = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < a.length; i += 4) {
    const x = va.getFloat32(i, true);
    const y = vb.getFloat32(i, true);
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) && Number.isNaN(y)) continue;
      return false;
    }
    if (x === y) continue; // also covers equal infinities
    if (!(Math.abs(x - y) <= atol + rtol * Math.max(Math.abs(x), Math.abs(y)))) return false;
  }
  return true;
}
