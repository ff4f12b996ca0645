import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from './bytes';
import { leafHash, nodeHash, rootFromLeafHashes, verifyConsistency, verifyInclusion } from './merkle';

// The RFC 6962 test vectors used by Certificate Transparency's reference implementations.
const CT_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const EMPTY_ROOT = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const ctLeafHashes = () => Promise.all(CT_LEAVES.map((hex) => leafHash(fromHex(hex))));
const root8 = fromHex(CT_ROOTS[7] as string);

describe('Merkle hashing', () => {
  it('gives the empty tree the SHA-256 of the empty string', async () => {
    expect(toHex(await rootFromLeafHashes([]))).toBe(EMPTY_ROOT);
  });

  it('matches the RFC 6962 known-answer roots for 1..8 leaves', async () => {
    const leaves = await ctLeafHashes();
    for (let n = 1; n <= 8; n++) expect(toHex(await rootFromLeafHashes(leaves.slice(0, n)))).toBe(CT_ROOTS[n - 1]);
  });

  it('builds a 3-leaf root as node(node(a, b), c)', async () => {
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((s) => leafHash(new TextEncoder().encode(s))));
    expect(toHex(a as Uint8Array)).toBe('022a6979e6dab7aa5ae4c3e5e45f7e977112a7e63593820dbec1ec738a24f93c');
    const root = await rootFromLeafHashes([a, b, c] as Uint8Array[]);
    expect(toHex(root)).toBe('36642e73c2540ab121e3a6bf9545b0a24982cd830eb13d3cd19de3ce6c021ec1');
    expect(root).toEqual(await nodeHash(await nodeHash(a as Uint8Array, b as Uint8Array), c as Uint8Array));
  });
});

describe('verifyInclusion', () => {
  const path0 = [
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
  ];
  const path5 = [
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  ];

  it('accepts the RFC 6962 known-answer paths', async () => {
    const leaves = await ctLeafHashes();
    expect(await verifyInclusion(leaves[0] as Uint8Array, { index: 0, size: 8, path: path0 }, root8)).toBe(true);
    expect(await verifyInclusion(leaves[5] as Uint8Array, { index: 5, size: 8, path: path5 }, root8)).toBe(true);
    const root1 = fromHex(CT_ROOTS[0] as string);
    expect(await verifyInclusion(leaves[0] as Uint8Array, { index: 0, size: 1, path: [] }, root1)).toBe(true);
  });

  it('rejects a wrong index, a wrong size, a tampered or resized path and a wrong root', async () => {
    const leaf = (await ctLeafHashes())[5] as Uint8Array;
    const good = { index: 5, size: 8, path: path5 };
    const tampered = [...path5];
    tampered[1] = `${(path5[1] as string).slice(0, 63)}1`;
    // A path does not bind the size on its own (for 5 of 8 it also fits 5 of 7): the signed tree head
    // binds size and root together, so only sizes that change the path's shape are tested here.
    const cases = [
      { ...good, index: 4 },
      { ...good, size: 6 },
      { ...good, size: 9 },
      { ...good, path: tampered },
      { ...good, path: path5.slice(0, 2) },
      { ...good, path: [...path5, path5[0] as string] },
    ];
    for (const proof of cases) expect(await verifyInclusion(leaf, proof, root8)).toBe(false);
    expect(await verifyInclusion(leaf, good, fromHex(CT_ROOTS[6] as string))).toBe(false);
  });

  it('returns false on hostile input instead of throwing', async () => {
    const leaf = (await ctLeafHashes())[0] as Uint8Array;
    const hostile: unknown[] = [
      null,
      'proof',
      { index: 8, size: 8, path: path0 },
      { index: 0, size: 0, path: [] },
      { index: -1, size: 8, path: path0 },
      { index: 0.5, size: 8, path: path0 },
      { index: 0, size: 2 ** 60, path: path0 },
      { index: 0, size: 8, path: ['zz'] },
      { index: 0, size: 8, path: 'nope' },
      { index: 0, size: 8, path: Array(65).fill(path0[0]) },
    ];
    for (const proof of hostile) {
      expect(await verifyInclusion(leaf, proof as Parameters<typeof verifyInclusion>[1], root8)).toBe(false);
    }
    const proof = { index: 0, size: 8, path: path0 };
    expect(await verifyInclusion(leaf.slice(1), proof, root8)).toBe(false);
    expect(await verifyInclusion(leaf, proof, root8.slice(1))).toBe(false);
    expect(await verifyInclusion(undefined as unknown as Uint8Array, proof, root8)).toBe(false);
  });
});

describe('verifyConsistency', () => {
  const proof68 = [
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  ];
  const proof25 = [
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
  ];
  const root = (n: number) => fromHex(CT_ROOTS[n - 1] as string);

  it('accepts the RFC 6962 known-answer proofs', async () => {
    expect(await verifyConsistency({ from: 6, to: 8, path: proof68 }, root(6), root8)).toBe(true);
    expect(await verifyConsistency({ from: 2, to: 5, path: proof25 }, root(2), root(5))).toBe(true);
  });

  it('accepts equal sizes only with an empty path and equal roots', async () => {
    expect(await verifyConsistency({ from: 8, to: 8, path: [] }, root8, root8)).toBe(true);
    expect(await verifyConsistency({ from: 8, to: 8, path: [] }, root(7), root8)).toBe(false);
    expect(await verifyConsistency({ from: 8, to: 8, path: [CT_ROOTS[0] as string] }, root8, root8)).toBe(false);
  });

  // transparency-dev/merkle's proof.VerifyConsistency: "consistency proof from empty tree is meaningless"
  // when 0 == size1 < size2; size1 == size2 == 0 is the equal-sizes case.
  it('rejects any proof from the empty tree to a larger one, as transparency-dev/merkle does', async () => {
    const empty = fromHex(EMPTY_ROOT);
    expect(await verifyConsistency({ from: 0, to: 8, path: [] }, empty, root8)).toBe(false);
    expect(await verifyConsistency({ from: 0, to: 8, path: proof68 }, empty, root8)).toBe(false);
    expect(await verifyConsistency({ from: 0, to: 8, path: [] }, root(1), root8)).toBe(false);
    expect(await verifyConsistency({ from: 0, to: 0, path: [] }, empty, empty)).toBe(true);
  });

  it('rejects swapped roots, wrong sizes, tampered and truncated paths, and hostile input', async () => {
    const good = { from: 6, to: 8, path: proof68 };
    expect(await verifyConsistency(good, root8, root(6))).toBe(false);
    expect(await verifyConsistency({ ...good, from: 5 }, root(6), root8)).toBe(false);
    expect(await verifyConsistency({ ...good, to: 9 }, root(6), root8)).toBe(false);
    expect(await verifyConsistency({ ...good, path: proof68.slice(1) }, root(6), root8)).toBe(false);
    expect(await verifyConsistency({ ...good, path: [...proof68, EMPTY_ROOT] }, root(6), root8)).toBe(false);
    expect(await verifyConsistency({ ...good, path: [EMPTY_ROOT, ...proof68.slice(1)] }, root(6), root8)).toBe(false);
    expect(await verifyConsistency({ from: 8, to: 6, path: proof68 }, root8, root(6))).toBe(false);
    expect(await verifyConsistency({ from: 6, to: 8, path: [] }, root(6), root8)).toBe(false);
    for (const proof of [null, {}, { from: 6, to: 8, path: ['x'] }, { from: 6, to: 2 ** 60, path: proof68 }]) {
      expect(await verifyConsistency(proof as Parameters<typeof verifyConsistency>[0], root(6), root8)).toBe(false);
    }
  });
});
