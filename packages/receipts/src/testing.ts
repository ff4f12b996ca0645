// Test-only: a miniature receipt log (RFC 9162 tree, Ed25519-signed receipts and tree heads) for checking
// the store, the audit and the import path without a coordinator.
import {
  type BlobHash,
  type ConsistencyProof,
  type Ed25519KeyPair,
  type InclusionProof,
  type JobId,
  type ProjectId,
  type ProvenReceipt,
  type Receipt,
  type SignedTreeHead,
  type VolunteerKey,
  type WorkUnitId,
  canonicalBytes,
  generateSigningKeyPair,
  leafHash,
  rootFromLeafHashes,
  type ReceiptBody,
  signReceiptBody,
  signTreeHead,
  toHex,
} from '@bricolage/protocol';
import type { LogSource } from './audit';

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

export interface AppendOptions {
  readonly project?: string;
  readonly job?: string;
  readonly credit?: number;
  readonly debit?: number;
  readonly at?: number;
  readonly movedTo?: string;
  readonly movedFrom?: string;
}

export interface TestLog extends LogSource {
  readonly key: Ed25519KeyPair;
  readonly receipts: Receipt[];
  /**
   * Appends a credit for `volunteer` (a debit of that amount when `debit` is given: its own job paid; with
   * `movedTo` as well, an export of it to that grid's key; with `movedFrom` and `credit`, the import of another
   * grid's export) and returns it proven against the tree head of the new size.
   */
  append(volunteer: string, options?: AppendOptions): Promise<ProvenReceipt>;
  proven(index: number, size?: number): Promise<ProvenReceipt>;
  head(size?: number): Promise<SignedTreeHead>;
  treeHead(): Promise<SignedTreeHead>;
  inclusion(index: number, size: number): Promise<InclusionProof>;
  consistency(from: number, to: number): Promise<ConsistencyProof>;
}

export async function createTestLog(): Promise<TestLog> {
  const key = await generateSigningKeyPair();
  const receipts: Receipt[] = [];
  const leaves: Uint8Array[] = [];

  const head = async (size = receipts.length): Promise<SignedTreeHead> =>
    signTreeHead(key.privateKey, {
      log: key.publicKeyText,
      size,
      root: toHex(await rootFromLeafHashes(leaves.slice(0, size))),
      at: 1_700_000_000_000 + size,
    });
  const inclusion = async (index: number, size = receipts.length): Promise<InclusionProof> => ({
    index,
    size,
    path: (await pathFor(index, leaves.slice(0, size))).map(toHex),
  });
  const proven = async (index: number, size = receipts.length): Promise<ProvenReceipt> => ({
    receipt: receipts[index] as Receipt,
    proof: await inclusion(index, size),
    treeHead: await head(size),
  });

  return {
    key,
    receipts,
    head,
    proven,
    async append(volunteer, options = {}) {
      const index = receipts.length;
      const receipt = await signReceiptBody(key.privateKey, bodyOf(key.publicKeyText, index, volunteer, options));
      receipts.push(receipt);
      leaves.push(await leafHash(canonicalBytes(receipt.body)));
      return proven(index);
    },
    treeHead: () => head(),
    inclusion: (index, size) => inclusion(index, size),
    async consistency(from, to): Promise<ConsistencyProof> {
      const path = from === 0 || from === to ? [] : (await subproof(from, leaves.slice(0, to), true)).map(toHex);
      return { from, to, path };
    },
  };
}

/** What `append` signs: an export or an import when `movedTo` or `movedFrom` says so, else a debit or a credit. */
function bodyOf(log: string, index: number, volunteer: string, options: AppendOptions): ReceiptBody {
  const entry = {
    v: 1 as const,
    log,
    index,
    volunteer: volunteer as VolunteerKey,
    at: options.at ?? 1_700_000_000_000 + index * 1000,
  };
  if (options.movedTo !== undefined)
    return { ...entry, type: 'export', to: options.movedTo, debit: options.debit ?? 1 };
  if (options.movedFrom !== undefined)
    return { ...entry, type: 'import', from: options.movedFrom, fromIndex: 0, credit: options.credit ?? 1 };
  const unit = {
    project: (options.project ?? 'prj_0123456789abcdef') as ProjectId,
    job: (options.job ?? 'job_0123456789abcdef') as JobId,
    workUnit: `wu_${index + 1}` as WorkUnitId,
  };
  return options.debit === undefined
    ? { ...entry, ...unit, type: 'credit', outputHash: 'ab'.repeat(32) as BlobHash, credit: options.credit ?? 1 }
    : { ...entry, ...unit, type: 'debit', replicas: 1, debit: options.debit };
}
