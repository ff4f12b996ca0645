import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64Url, toHex, utf8 } from './bytes';
import { canonicalBytes } from './canonical';
import { BlobHash, JobId, ProjectId, VolunteerKey, WorkUnitId } from './ids';
import { leafHash, nodeHash, rootFromLeafHashes } from './merkle';
import type { ProvenReceipt, Receipt, ReceiptBody, SignedTreeHead } from './receipt';
import { type Ed25519KeyPair, domainMessage, generateSigningKeyPair, sign, verify } from './signing';
import { signReceiptBody, signTreeHead, verifyConsistentHeads, verifyReceipt, verifyTreeHead } from './verifier';

// Test-only proof builders (RFC 9162 PATH and PROOF over the reference tree); the coordinator has the real ones.
const split = (n: number) => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};
async function pathFor(index: number, leaves: Uint8Array[]): Promise<Uint8Array[]> {
  if (leaves.length <= 1) return [];
  const k = split(leaves.length);
  return index < k
    ? [...(await pathFor(index, leaves.slice(0, k))), await rootFromLeafHashes(leaves.slice(k))]
    : [...(await pathFor(index - k, leaves.slice(k))), await rootFromLeafHashes(leaves.slice(0, k))];
}
async function subproof(m: number, leaves: Uint8Array[], known: boolean): Promise<Uint8Array[]> {
  if (m === leaves.length) return known ? [] : [await rootFromLeafHashes(leaves)];
  const k = split(leaves.length);
  return m <= k
    ? [...(await subproof(m, leaves.slice(0, k), known)), await rootFromLeafHashes(leaves.slice(k))]
    : [...(await subproof(m - k, leaves.slice(k), false)), await rootFromLeafHashes(leaves.slice(0, k))];
}

let log: Ed25519KeyPair;
let other: Ed25519KeyPair;
let receipts: Receipt[];
let leaves: Uint8Array[];
let head5: SignedTreeHead;

const bodyAt = (index: number, logKey: string, volunteer: string): ReceiptBody => ({
  v: 1,
  type: 'credit',
  log: logKey,
  index,
  volunteer: VolunteerKey.parse(volunteer),
  project: ProjectId.parse('prj_0123456789abcdef'),
  job: JobId.parse('job_0123456789abcdef'),
  workUnit: WorkUnitId.parse(`wu_${index + 1}`),
  outputHash: BlobHash.parse('ab'.repeat(32)),
  credit: 1.5,
  at: 1_700_000_000_000 + index,
});

async function headOf(size: number, key = log): Promise<SignedTreeHead> {
  const root = toHex(await rootFromLeafHashes(leaves.slice(0, size)));
  return signTreeHead(key.privateKey, { log: key.publicKeyText, size, root, at: 1_700_000_100_000 });
}

async function proven(index: number, size = 5): Promise<ProvenReceipt> {
  const path = (await pathFor(index, leaves.slice(0, size))).map(toHex);
  return {
    receipt: receipts[index] as Receipt,
    proof: { index, size, path },
    treeHead: size === 5 ? head5 : await headOf(size),
  };
}

beforeAll(async () => {
  log = await generateSigningKeyPair();
  other = await generateSigningKeyPair();
  receipts = [];
  for (let i = 0; i < 5; i++) {
    receipts.push(await signReceiptBody(log.privateKey, bodyAt(i, log.publicKeyText, other.publicKeyText)));
  }
  leaves = await Promise.all(receipts.map((r) => leafHash(canonicalBytes(r.body))));
  head5 = await headOf(5);
});

const expectFailure = (result: { ok: boolean }, code: string, message: string) =>
  expect(result).toEqual({ ok: false, error: { code, message } });

describe('verifyReceipt', () => {
  it('accepts every receipt in the log, given only the public key', async () => {
    for (let i = 0; i < 5; i++) {
      expect(await verifyReceipt(await proven(i), log.publicKeyText)).toEqual({ ok: true, value: receipts[i]?.body });
    }
    expect((await verifyReceipt(await proven(2, 3), log.publicKeyText)).ok).toBe(true);
  });

  it('rejects a body changed after signing', async () => {
    const p = await proven(3);
    const forged = { ...p, receipt: { ...p.receipt, body: { ...p.receipt.body, credit: 2.5 } } };
    expectFailure(await verifyReceipt(forged, log.publicKeyText), 'bad_signature', 'receipt signature does not verify');
  });

  it('rejects a receipt signed by another key', async () => {
    const p = await proven(1);
    const receipt = await signReceiptBody(other.privateKey, p.receipt.body);
    expectFailure(
      await verifyReceipt({ ...p, receipt }, log.publicKeyText),
      'bad_signature',
      'receipt signature does not verify',
    );
  });

  it('rejects a receipt from another log', async () => {
    const p = await proven(1);
    expectFailure(await verifyReceipt(p, other.publicKeyText), 'bad_request', 'receipt belongs to another log');
  });

  it('rejects a tree head from another log, or signed by another key', async () => {
    const p = await proven(0);
    const foreign = await headOf(5, other);
    expectFailure(
      await verifyReceipt({ ...p, treeHead: foreign }, log.publicKeyText),
      'bad_request',
      'tree head belongs to another log',
    );
    const impostor = { ...foreign, head: { ...foreign.head, log: log.publicKeyText } };
    expectFailure(
      await verifyReceipt({ ...p, treeHead: impostor }, log.publicKeyText),
      'bad_signature',
      'tree head signature does not verify',
    );
  });

  it('rejects a proof for another index, whether relabelled or not', async () => {
    const p = await proven(3);
    const q = await proven(2);
    expectFailure(
      await verifyReceipt({ ...p, proof: q.proof }, log.publicKeyText),
      'bad_request',
      'inclusion proof is for index 2, but the receipt is at index 3',
    );
    expectFailure(
      await verifyReceipt({ ...p, proof: { ...q.proof, index: 3 } }, log.publicKeyText),
      'bad_signature',
      "inclusion proof does not lead to the tree head's root",
    );
  });

  it('rejects a proof for a tree of another size than the head', async () => {
    const p = await proven(2);
    const q = await proven(2, 4);
    expectFailure(
      await verifyReceipt({ ...p, proof: q.proof }, log.publicKeyText),
      'bad_request',
      'inclusion proof is for a tree of size 4, but the tree head has size 5',
    );
  });

  it('returns a failure for garbage, never throws', async () => {
    const p = await proven(0);
    const garbage: unknown[] = [
      undefined,
      null,
      42,
      'receipt',
      [],
      {},
      { ...p, proof: { ...p.proof, path: ['not hex'] } },
      { ...p, receipt: { ...p.receipt, signature: 'short' } },
      { ...p, treeHead: { head: { ...p.treeHead.head, size: -1 }, signature: p.treeHead.signature } },
    ];
    for (const input of garbage) {
      const result = await verifyReceipt(input, log.publicKeyText);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.code).toBe('bad_request');
    }
    for (const key of ['', 'not a key', `${log.publicKeyText}A`, 7 as unknown as string]) {
      expectFailure(
        await verifyReceipt(p, key),
        'bad_request',
        'the log public key is not a 32-byte Ed25519 key in base64url',
      );
    }
  });
});

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The same bytes in a non-canonical spelling: the last of 86 characters carries 2 bits of the signature
 * and 4 that must be zero, and a decoder that ignores them reads this twin as the very same signature.
 */
function twinOf(signature: string): string {
  const last = B64URL.indexOf(signature.at(-1) as string);
  const twin = `${signature.slice(0, -1)}${B64URL[last | 1]}`;
  expect(fromBase64Url(twin)).toEqual(fromBase64Url(signature));
  return twin;
}

describe('strict parsing: nothing unsigned or non-canonical passes as verified', () => {
  it('rejects a receipt carrying a field its signature does not cover, wherever it is', async () => {
    const p = await proven(1);
    const padded: [unknown, RegExp][] = [
      [{ ...p, receipt: { ...p.receipt, body: { ...p.receipt.body, bonus: 1000 } } }, /^receipt\.body: .*"bonus"/],
      [{ ...p, receipt: { ...p.receipt, note: 'x' } }, /^receipt: .*"note"/],
      [{ ...p, proof: { ...p.proof, note: 'x' } }, /^proof: .*"note"/],
      [{ ...p, treeHead: { ...p.treeHead, head: { ...p.treeHead.head, note: 'x' } } }, /^treeHead\.head: .*"note"/],
      [{ ...p, treeHead: { ...p.treeHead, note: 'x' } }, /^treeHead: .*"note"/],
      [{ ...p, note: 'x' }, /"note"/],
    ];
    for (const [input, where] of padded) {
      const result = await verifyReceipt(input, log.publicKeyText);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.error.code).toBe('bad_request');
        expect(result.error.message.replace('not a proven receipt: ', '')).toMatch(where);
      }
    }
  });

  it('rejects a tree head carrying a field its signature does not cover', async () => {
    const result = await verifyTreeHead({ ...head5, head: { ...head5.head, note: 'x' } }, log.publicKeyText);
    expect(result).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });

  it('rejects receipt and tree head signatures in a non-canonical base64url spelling', async () => {
    const p = await proven(1);
    const receipt = await verifyReceipt(
      { ...p, receipt: { ...p.receipt, signature: twinOf(p.receipt.signature) } },
      log.publicKeyText,
    );
    expect(receipt).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const head = await verifyTreeHead({ ...head5, signature: twinOf(head5.signature) }, log.publicKeyText);
    expect(head).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });

  it('verify() itself accepts only the canonical spelling of a signature and of a key', async () => {
    const message = domainMessage('auth', 'challenge');
    const signature = await sign(log.privateKey, message);
    expect(await verify(log.publicKeyText, message, signature)).toBe(true);
    expect(await verify(log.publicKeyText, message, twinOf(signature))).toBe(false);
    expect(await verify(log.publicKeyText, message, `${signature}==`)).toBe(false);
    const key = log.publicKeyText;
    const keyTwin = `${key.slice(0, -1)}${B64URL[B64URL.indexOf(key.at(-1) as string) | 1]}`;
    expect(fromBase64Url(keyTwin)).toEqual(fromBase64Url(key));
    expect(await verify(keyTwin, message, signature)).toBe(false);
    expect(await verify(key, utf8('another message'), signature)).toBe(false);
  });
});

describe('signReceiptBody', () => {
  it('signs only the schema fields, so extra keys cannot make a receipt unverifiable', async () => {
    const body = { ...bodyAt(0, log.publicKeyText, other.publicKeyText), extra: 'dropped' };
    const receipt = await signReceiptBody(log.privateKey, body);
    expect(receipt.body).not.toHaveProperty('extra');
    const p = await proven(0);
    expect((await verifyReceipt({ ...p, receipt }, log.publicKeyText)).ok).toBe(true);
  });
});

describe('verifyTreeHead', () => {
  it('accepts a head signed by the log and returns it', async () => {
    expect(await verifyTreeHead(head5, log.publicKeyText)).toEqual({ ok: true, value: head5.head });
  });

  it('rejects a head whose fields changed after signing', async () => {
    const changed = { ...head5, head: { ...head5.head, size: 6 } };
    expectFailure(
      await verifyTreeHead(changed, log.publicKeyText),
      'bad_signature',
      'tree head signature does not verify',
    );
  });

  it('rejects a receipt signature replayed as a tree head signature', async () => {
    const replayed = { ...head5, signature: (receipts[0] as Receipt).signature };
    expect((await verifyTreeHead(replayed, log.publicKeyText)).ok).toBe(false);
  });
});

describe('verifyConsistentHeads', () => {
  const proofHex = async (from: number, to: number) => ({
    from,
    to,
    path: from === 0 || from === to ? [] : (await subproof(from, leaves.slice(0, to), true)).map(toHex),
  });

  it('accepts heads linked by a consistency proof', async () => {
    for (const [from, to] of [
      [0, 0],
      [1, 5],
      [2, 5],
      [3, 5],
      [5, 5],
      [3, 4],
    ] as const) {
      const result = await verifyConsistentHeads(
        await headOf(from),
        await headOf(to),
        await proofHex(from, to),
        log.publicKeyText,
      );
      expect(result).toEqual({ ok: true, value: true });
    }
  });

  it('rejects a rewritten history', async () => {
    const forgedRoot = toHex(await nodeHash(leaves[0] as Uint8Array, leaves[0] as Uint8Array));
    const forked = await signTreeHead(log.privateKey, { log: log.publicKeyText, size: 2, root: forgedRoot, at: 1 });
    expectFailure(
      await verifyConsistentHeads(forked, head5, await proofHex(2, 5), log.publicKeyText),
      'bad_signature',
      'consistency proof does not link the older tree head to the newer one',
    );
  });

  it('rejects heads out of order, a proof for other sizes, and unsigned heads', async () => {
    const head3 = await headOf(3);
    expectFailure(
      await verifyConsistentHeads(head5, head3, await proofHex(3, 5), log.publicKeyText),
      'bad_request',
      'the older tree head is larger than the newer one',
    );
    expectFailure(
      await verifyConsistentHeads(head3, head5, await proofHex(2, 5), log.publicKeyText),
      'bad_request',
      'consistency proof is from size 2 to 5, but the tree heads have sizes 3 and 5',
    );
    expectFailure(
      await verifyConsistentHeads(await headOf(3, other), head5, await proofHex(3, 5), log.publicKeyText),
      'bad_request',
      'older tree head belongs to another log',
    );
    expectFailure(
      await verifyConsistentHeads(await headOf(0), head5, await proofHex(0, 5), log.publicKeyText),
      'bad_request',
      'there is no consistency proof from the empty tree (RFC 9162)',
    );
    const garbage = await verifyConsistentHeads(head3, head5, { from: 3 }, log.publicKeyText);
    expect(garbage.ok).toBe(false);
  });
});
