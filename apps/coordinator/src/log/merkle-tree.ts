// The coordinator's side of the receipt log: an append-only RFC 9162 Merkle tree kept as stored perfect
// subtrees, so appends, roots and proofs each touch O(log n) nodes whatever backs the store.
import { createHash } from 'node:crypto';

export interface MerkleNodeStore {
  /** Hash of the perfect subtree of 2^level leaves starting at leaf index << level; level 0 = leaf hashes. */
  getNode(level: number, index: number): Uint8Array | undefined;
  putNode(level: number, index: number, hash: Uint8Array): void;
}

export class InMemoryMerkleNodeStore implements MerkleNodeStore {
  private readonly levels: Map<number, Uint8Array>[] = [];

  getNode(level: number, index: number): Uint8Array | undefined {
    return this.levels[level]?.get(index);
  }

  putNode(level: number, index: number, hash: Uint8Array): void {
    let nodes = this.levels[level];
    if (!nodes) {
      nodes = new Map();
      this.levels[level] = nodes;
    }
    nodes.set(index, hash);
  }
}

function digest(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  // A plain Uint8Array view rather than a Buffer, so hashes compare equal to the WebCrypto ones.
  const out = hash.digest();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);

export const leafHashSync = (data: Uint8Array): Uint8Array => digest(LEAF_PREFIX, data);
export const nodeHashSync = (left: Uint8Array, right: Uint8Array): Uint8Array => digest(NODE_PREFIX, left, right);

/**
 * Stores leaf number `size` and every perfect subtree it completes: one node per trailing 1-bit of
 * `size`, so about two writes per leaf. The caller serialises appends (one transaction each).
 */
export function appendLeaf(store: MerkleNodeStore, size: number, leafHash: Uint8Array): void {
  checkIndex(size, Number.MAX_SAFE_INTEGER, 'size');
  store.putNode(0, size, leafHash);
  let hash = leafHash;
  let index = size;
  let level = 0;
  while (index % 2 === 1) {
    hash = nodeHashSync(readNode(store, level, index - 1), hash);
    index = (index - 1) / 2;
    level++;
    store.putNode(level, index, hash);
  }
}

/** A stored node: the hash of the perfect subtree of 2^level leaves starting at leaf `index << level`. */
export interface MerkleNodeAt {
  readonly level: number;
  readonly index: number;
  readonly hash: Uint8Array;
}

/**
 * Appends leaf number `size` to a tree known only by its frontier (the hashes of the perfect subtrees that
 * `size`'s binary form names, largest first) and returns the new frontier and the nodes to store: the leaf
 * and each subtree it completes, as `appendLeaf` stores them. Nothing is read: a log that keeps its
 * frontier appends without reading its tree back.
 */
export function appendToFrontier(
  frontier: readonly Uint8Array[],
  size: number,
  leafHash: Uint8Array,
): { frontier: Uint8Array[]; nodes: MerkleNodeAt[] } {
  checkIndex(size, Number.MAX_SAFE_INTEGER, 'size');
  if (frontier.length !== popcount(size))
    throw new Error(`a frontier of ${frontier.length} subtrees cannot describe a tree of ${size} leaves`);
  const next = frontier.slice();
  const nodes: MerkleNodeAt[] = [{ level: 0, index: size, hash: leafHash }];
  let hash = leafHash;
  let index = size;
  let level = 0;
  while (index % 2 === 1) {
    hash = nodeHashSync(next.pop() as Uint8Array, hash);
    index = (index - 1) / 2;
    level++;
    nodes.push({ level, index, hash });
  }
  next.push(hash);
  return { frontier: next, nodes };
}

/** MTH of the tree whose frontier this is: its subtrees folded from the smallest up (RFC 9162 §2.1.1). */
export function rootOfFrontier(frontier: readonly Uint8Array[]): Uint8Array {
  let root = frontier.at(-1);
  if (!root) return digest();
  for (let i = frontier.length - 2; i >= 0; i--) root = nodeHashSync(frontier[i] as Uint8Array, root);
  return root;
}

/** The frontier of the tree of `size` leaves, read from the stored perfect subtrees. */
export function frontierAt(store: MerkleNodeStore, size: number): Uint8Array[] {
  checkIndex(size, Number.MAX_SAFE_INTEGER, 'size');
  const frontier: Uint8Array[] = [];
  let start = 0;
  for (let level = 52; level >= 0; level--) {
    const width = 2 ** level;
    if (Math.floor(size / width) % 2 === 0) continue;
    frontier.push(readNode(store, level, start / width));
    start += width;
  }
  return frontier;
}

/**
 * The nodes a tree computation reads, found by running it over a store that answers every read with zeros:
 * which nodes are read depends on the sizes alone, never on the hashes. A store that pays per query (a
 * database server) fetches them all at once, then runs the computation again over what it fetched.
 */
export function nodesRead(compute: (store: MerkleNodeStore) => unknown): { level: number; index: number }[] {
  const reads = new Map<string, { level: number; index: number }>();
  const zero = new Uint8Array(32);
  compute({
    getNode: (level, index) => {
      reads.set(`${level}:${index}`, { level, index });
      return zero;
    },
    putNode: () => {
      throw new Error('a read-only computation wrote a node');
    },
  });
  return [...reads.values()];
}

function popcount(n: number): number {
  let bits = 0;
  for (let x = n; x > 0; x = Math.floor(x / 2)) bits += x % 2;
  return bits;
}

/** MTH(D[0:size]), read from the perfect subtrees that `size`'s binary form names. */
export function rootAt(store: MerkleNodeStore, size: number): Uint8Array {
  checkIndex(size, Number.MAX_SAFE_INTEGER, 'size');
  if (size === 0) return digest();
  return subtreeHash(store, 0, size);
}

/** RFC 9162 §2.1.3.1 PATH(index, D[0:size]), ordered from the leaf's sibling up to the root's child. */
export function inclusionPath(store: MerkleNodeStore, index: number, size: number): Uint8Array[] {
  checkIndex(size, Number.MAX_SAFE_INTEGER, 'size');
  checkIndex(index, size - 1, 'index');
  const path: Uint8Array[] = [];
  // Walk down from the root, collecting siblings, then reverse: the RFC lists them leaf-first.
  let start = 0;
  let end = size;
  while (end - start > 1) {
    const split = start + largestPowerOfTwoBelow(end - start);
    if (index < split) {
      path.push(subtreeHash(store, split, end));
      end = split;
    } else {
      path.push(subtreeHash(store, start, split));
      start = split;
    }
  }
  return path.reverse();
}

/**
 * RFC 9162 §2.1.4.1 PROOF(from, D[0:to]), empty when from == to. The RFC defines none from the empty
 * tree to a larger one, and `verifyConsistency` in @bricolage/protocol rejects it, so neither is made.
 */
export function consistencyPath(store: MerkleNodeStore, from: number, to: number): Uint8Array[] {
  checkIndex(to, Number.MAX_SAFE_INTEGER, 'to');
  checkIndex(from, to, 'from');
  if (from === to) return [];
  if (from === 0) throw new RangeError('there is no consistency proof from the empty tree');
  const path: Uint8Array[] = [];
  // SUBPROOF(m, D[start:end], b) unrolled: m is `from` relative to `start`.
  let m = from;
  let start = 0;
  let end = to;
  let knownOld = true;
  while (m !== end - start) {
    const k = largestPowerOfTwoBelow(end - start);
    if (m <= k) {
      path.push(subtreeHash(store, start + k, end));
      end = start + k;
    } else {
      path.push(subtreeHash(store, start, start + k));
      start += k;
      m -= k;
      knownOld = false;
    }
  }
  // The old tree's own root is only left out when the verifier already holds it (b = true in the RFC).
  if (!knownOld) path.push(subtreeHash(store, start, end));
  return path.reverse();
}

/** MTH(D[start:end]) for end > start: a stored node when the range is a perfect aligned subtree. */
function subtreeHash(store: MerkleNodeStore, start: number, end: number): Uint8Array {
  const width = end - start;
  const level = perfectLevel(width);
  if (level !== undefined && start % width === 0) return readNode(store, level, start / width);
  const split = start + largestPowerOfTwoBelow(width);
  return nodeHashSync(subtreeHash(store, start, split), subtreeHash(store, split, end));
}

function readNode(store: MerkleNodeStore, level: number, index: number): Uint8Array {
  const hash = store.getNode(level, index);
  if (!hash) throw new Error(`Merkle store is missing node (level ${level}, index ${index})`);
  return hash;
}

/** log2(width) when width is a power of two, else undefined. */
function perfectLevel(width: number): number | undefined {
  let level = 0;
  let w = width;
  while (w > 1 && w % 2 === 0) {
    w /= 2;
    level++;
  }
  return w === 1 ? level : undefined;
}

/** The RFC's split point k for n >= 2 leaves: the largest power of two strictly smaller than n. */
function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function checkIndex(value: number, max: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new Error(`${name} ${value} is out of range 0..${max}`);
  }
}
