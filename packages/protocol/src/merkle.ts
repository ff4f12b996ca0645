// Merkle tree hashing and proof verification in the style of Certificate Transparency (RFC 9162 §2.1),
// written for WebCrypto so the browser can check the receipt log with nothing but this package.
import { bytesEqual, concatBytes, fromHex } from './bytes';
import { sha256 } from './canonical';
import { ConsistencyProof, InclusionProof } from './receipt';

const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);
const HASH_LENGTH = 32;

/** The prefixes keep a leaf from ever being passed off as an interior node (second-preimage defence). */
export const leafHash = (data: Uint8Array): Promise<Uint8Array> => sha256(concatBytes([LEAF_PREFIX, data]));

export const nodeHash = (left: Uint8Array, right: Uint8Array): Promise<Uint8Array> =>
  sha256(concatBytes([NODE_PREFIX, left, right]));

/** Reference MTH(D[n]) over leaf hashes: simple and slow, for tests and tiny trees. */
export async function rootFromLeafHashes(leaves: readonly Uint8Array[]): Promise<Uint8Array> {
  if (leaves.length === 0) return sha256(new Uint8Array(0));
  if (leaves.length === 1) return leaves[0] as Uint8Array;
  const k = largestPowerOfTwoBelow(leaves.length);
  return nodeHash(await rootFromLeafHashes(leaves.slice(0, k)), await rootFromLeafHashes(leaves.slice(k)));
}

/**
 * RFC 9162 §2.1.3.2. Never throws: a hostile proof (index past the end, a path too long or too short,
 * non-hex elements, unsafe integers) is simply not valid.
 */
export async function verifyInclusion(leaf: Uint8Array, proof: InclusionProof, root: Uint8Array): Promise<boolean> {
  const parsed = InclusionProof.safeParse(proof);
  if (!parsed.success || !isHash(leaf) || !isHash(root)) return false;
  const { index, size } = parsed.data;
  if (!Number.isSafeInteger(size) || index >= size) return false;
  // Arithmetic rather than bitwise operators: indices may exceed 32 bits.
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const hex of parsed.data.path) {
    const p = fromHex(hex);
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = await nodeHash(p, r);
      // A right-spine node with no sibling at this level: climb until the path has one again.
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && bytesEqual(r, root);
}

/**
 * RFC 9162 §2.1.4.2, plus the edge cases the RFC leaves to the caller, as transparency-dev/merkle's
 * proof.VerifyConsistency decides them: from == to needs an empty path and equal roots; 0 == from < to
 * is never valid (the RFC defines no proof from the empty tree). Never throws.
 */
export async function verifyConsistency(
  proof: ConsistencyProof,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
): Promise<boolean> {
  const parsed = ConsistencyProof.safeParse(proof);
  if (!parsed.success || !isHash(oldRoot) || !isHash(newRoot)) return false;
  const { from, to } = parsed.data;
  const path = parsed.data.path.map(fromHex);
  if (!Number.isSafeInteger(to) || from > to) return false;
  if (from === to) return path.length === 0 && bytesEqual(oldRoot, newRoot);
  if (from === 0) return false;
  if (path.length === 0) return false;

  // When the old tree is a perfect subtree of the new one, its root is the proof's implicit first node.
  if (isPowerOfTwo(from)) path.unshift(oldRoot);
  let fn = from - 1;
  let sn = to - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0] as Uint8Array;
  let sr = fr;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && bytesEqual(fr, oldRoot) && bytesEqual(sr, newRoot);
}

const isHash = (value: unknown): value is Uint8Array => value instanceof Uint8Array && value.length === HASH_LENGTH;
const isOdd = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2);

function isPowerOfTwo(n: number): boolean {
  if (n < 1) return false;
  let m = n;
  while (m % 2 === 0) m /= 2;
  return m === 1;
}

/** The RFC's split point k for n >= 2 leaves: the largest power of two strictly smaller than n. */
function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
