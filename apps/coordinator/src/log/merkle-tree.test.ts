import { fromHex, rootFromLeafHashes, toHex, verifyConsistency, verifyInclusion } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import {
  appendLeaf,
  appendToFrontier,
  consistencyPath,
  frontierAt,
  InMemoryMerkleNodeStore,
  inclusionPath,
  leafHashSync,
  type MerkleNodeStore,
  nodeHashSync,
  nodesRead,
  rootAt,
  rootOfFrontier,
} from './merkle-tree';

function treeOf(size: number): { store: MerkleNodeStore; leaves: Uint8Array[] } {
  const store = new InMemoryMerkleNodeStore();
  const leaves: Uint8Array[] = [];
  for (let i = 0; i < size; i++) {
    const leaf = leafHashSync(new TextEncoder().encode(`leaf ${i}`));
    appendLeaf(store, i, leaf);
    leaves.push(leaf);
  }
  return { store, leaves };
}

/** Counts reads and writes, to pin down the cost the coordinator's database will see. */
class CountingStore extends InMemoryMerkleNodeStore {
  reads = 0;
  writes = 0;
  override getNode(level: number, index: number) {
    this.reads++;
    return super.getNode(level, index);
  }
  override putNode(level: number, index: number, hash: Uint8Array) {
    this.writes++;
    super.putNode(level, index, hash);
  }
}

// A seeded generator so that the random pairs are the same on every run.
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

const hex = (hashes: Uint8Array[]) => hashes.map(toHex);

describe('Merkle tree over a node store', () => {
  const { store, leaves } = treeOf(1000);

  it('matches the RFC 6962 known-answer vectors', () => {
    const ct = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
    const s = new InMemoryMerkleNodeStore();
    for (const [i, data] of ct.entries()) appendLeaf(s, i, leafHashSync(fromHex(data)));
    expect(toHex(rootAt(s, 0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(toHex(rootAt(s, 3))).toBe('aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77');
    expect(toHex(rootAt(s, 8))).toBe('5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328');
    expect(hex(inclusionPath(s, 5, 8))).toEqual([
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ]);
    expect(hex(consistencyPath(s, 6, 8))).toEqual([
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ]);
  });

  it('builds a 3-leaf root as node(node(a, b), c)', () => {
    const { store: s, leaves: l } = treeOf(3);
    const [a, b, c] = l as [Uint8Array, Uint8Array, Uint8Array];
    expect(rootAt(s, 3)).toEqual(nodeHashSync(nodeHashSync(a, b), c));
  });

  it('agrees with the reference root and the browser verifier for every size 1..70 and every index', async () => {
    for (let size = 1; size <= 70; size++) {
      const root = rootAt(store, size);
      expect(root).toEqual(await rootFromLeafHashes(leaves.slice(0, size)));
      for (let index = 0; index < size; index++) {
        const proof = { index, size, path: hex(inclusionPath(store, index, size)) };
        expect(await verifyInclusion(leaves[index] as Uint8Array, proof, root)).toBe(true);
      }
    }
  });

  it('gives consistency proofs the browser verifier accepts for every pair up to 40', async () => {
    for (let to = 0; to <= 40; to++) {
      // From the empty tree only to itself: the RFC has no proof from it to a larger tree.
      for (let from = to === 0 ? 0 : 1; from <= to; from++) {
        const proof = { from, to, path: hex(consistencyPath(store, from, to)) };
        expect(await verifyConsistency(proof, rootAt(store, from), rootAt(store, to))).toBe(true);
      }
    }
  });

  it('gives consistency proofs the browser verifier accepts for random pairs up to 1000', async () => {
    const random = lcg(7);
    for (let i = 0; i < 200; i++) {
      const to = 1 + Math.floor(random() * 1000);
      const from = 1 + Math.floor(random() * to);
      const proof = { from, to, path: hex(consistencyPath(store, from, to)) };
      expect(await verifyConsistency(proof, rootAt(store, from), rootAt(store, to))).toBe(true);
    }
  });

  it('rejects tampered paths, wrong indices, wrong sizes and swapped roots', async () => {
    const random = lcg(11);
    for (let i = 0; i < 100; i++) {
      const size = 2 + Math.floor(random() * 998);
      const index = Math.floor(random() * size);
      const root = rootAt(store, size);
      const path = hex(inclusionPath(store, index, size));
      const leaf = leaves[index] as Uint8Array;
      const flip = Math.floor(random() * path.length);
      const tampered = path.map((p, j) => (j === flip ? toHex(nodeHashSync(fromHex(p), fromHex(p))) : p));
      expect(await verifyInclusion(leaf, { index, size, path: tampered }, root)).toBe(false);
      expect(await verifyInclusion(leaf, { index: (index + 1) % size, size, path }, root)).toBe(false);
      expect(await verifyInclusion(leaf, { index, size: size + 1, path }, rootAt(store, size + 1))).toBe(false);

      const from = 1 + Math.floor(random() * (size - 1));
      const consistency = { from, to: size, path: hex(consistencyPath(store, from, size)) };
      expect(await verifyConsistency(consistency, root, rootAt(store, from))).toBe(false);
      expect(await verifyConsistency(consistency, rootAt(store, from), rootAt(store, size + 1))).toBe(false);
      const bad = consistency.path.map((p, j) => (j === 0 ? toHex(nodeHashSync(fromHex(p), fromHex(p))) : p));
      expect(await verifyConsistency({ ...consistency, path: bad }, rootAt(store, from), root)).toBe(false);
    }
  });

  it('answers roots and proofs for old sizes after the tree has grown', () => {
    const { store: small } = treeOf(37);
    expect(rootAt(store, 37)).toEqual(rootAt(small, 37));
    expect(inclusionPath(store, 20, 37)).toEqual(inclusionPath(small, 20, 37));
    expect(consistencyPath(store, 13, 37)).toEqual(consistencyPath(small, 13, 37));
  });

  it('writes about two nodes per leaf and reads O(log n) nodes per root', () => {
    const counting = new CountingStore();
    for (let i = 0; i < 1024; i++) appendLeaf(counting, i, leaves[i % 1000] as Uint8Array);
    expect(counting.writes).toBe(2047);
    counting.reads = 0;
    rootAt(counting, 1023);
    expect(counting.reads).toBe(10);
    counting.reads = 0;
    inclusionPath(counting, 500, 1023);
    expect(counting.reads).toBeLessThanOrEqual(2 * 10);
  });

  it('throws for indices out of range, a programmer error', () => {
    expect(() => inclusionPath(store, 5, 5)).toThrow(/out of range/);
    expect(() => inclusionPath(store, 0, 0)).toThrow(/out of range/);
    expect(() => consistencyPath(store, 6, 5)).toThrow(/out of range/);
    expect(() => rootAt(store, -1)).toThrow(/out of range/);
    expect(() => rootAt(store, 1001)).toThrow(/missing node/);
  });
});

describe('frontier', () => {
  it('appends without reading: the same nodes and root as the stored tree, for every size up to 300', () => {
    const stored = new CountingStore();
    let frontier: Uint8Array[] = [];
    const written = new InMemoryMerkleNodeStore();
    for (let size = 0; size < 300; size++) {
      expect(toHex(rootOfFrontier(frontier))).toBe(toHex(rootAt(stored, size)));
      expect(frontierAt(stored, size).map(toHex)).toEqual(frontier.map(toHex));
      const leaf = leafHashSync(new TextEncoder().encode(`leaf ${size}`));
      appendLeaf(stored, size, leaf);
      const next = appendToFrontier(frontier, size, leaf);
      for (const n of next.nodes) written.putNode(n.level, n.index, n.hash);
      frontier = next.frontier;
    }
    for (let level = 0; level < 9; level++)
      for (let index = 0; index < 300 >> level; index++)
        expect(written.getNode(level, index) && toHex(written.getNode(level, index) as Uint8Array)).toBe(
          stored.getNode(level, index) && toHex(stored.getNode(level, index) as Uint8Array),
        );
  });

  it('refuses a frontier that does not fit the size', () => {
    expect(() => appendToFrontier([], 1, new Uint8Array(32))).toThrow(/cannot describe a tree of 1 leaves/);
  });

  it('names the nodes a proof reads, so that a database can fetch them in one query', () => {
    const { store } = treeOf(1000);
    const needed = nodesRead((s) => inclusionPath(s, 377, 1000));
    const fetched = new InMemoryMerkleNodeStore();
    for (const { level, index } of needed) fetched.putNode(level, index, store.getNode(level, index) as Uint8Array);
    expect(inclusionPath(fetched, 377, 1000).map(toHex)).toEqual(inclusionPath(store, 377, 1000).map(toHex));
    expect(needed.length).toBeLessThanOrEqual(20);
  });
});
