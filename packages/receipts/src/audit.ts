// "Verify all": re-checks every kept receipt — the coordinator's signature, and inclusion in the log's
// newest signed tree head — and that the log only grew since each receipt's own tree head was signed.
import {
  type ProvenReceipt,
  type SignedTreeHead,
  verifyConsistentHeads,
  verifyReceipt,
  verifyTreeHead,
} from '@bricolage/protocol';
import type { CheckAgainst, StoredReceipt } from './schema';

/** Where the log's current state comes from (the coordinator's public log routes). */
export interface LogSource {
  treeHead(): Promise<unknown>;
  inclusion(index: number, size: number): Promise<unknown>;
  consistency(from: number, to: number): Promise<unknown>;
}

export interface ReceiptVerdict {
  readonly ok: boolean;
  readonly message: string;
  readonly against: CheckAgainst;
  readonly treeSize: number;
}

export interface AuditReport {
  readonly checked: number;
  readonly passed: number;
  readonly failed: readonly { id: string; workUnit: string; message: string }[];
  /** `current` when the log's newest head was reachable; `stored` when checked offline only. */
  readonly against: CheckAgainst;
  readonly treeSize: number | null;
  /** Why the check fell back to the stored tree heads, when it did. */
  readonly note: string | null;
  readonly verdicts: ReadonlyMap<string, ReceiptVerdict>;
}

export async function auditReceipts(
  records: readonly StoredReceipt[],
  publicKey: string,
  source: LogSource | null,
): Promise<AuditReport> {
  let current: SignedTreeHead | null = null;
  let note: string | null = null;
  if (source) {
    try {
      const sth = await source.treeHead();
      const head = await verifyTreeHead(sth, publicKey);
      if (head.ok) current = sth as SignedTreeHead;
      else note = `the log's current tree head did not verify: ${head.error.message}`;
    } catch (error) {
      note = `the coordinator is unreachable (${(error as Error).message}); checked against the stored tree heads`;
    }
  } else note = 'checked offline against the stored tree heads';

  const verdicts = new Map<string, ReceiptVerdict>();
  const consistency = new Map<string, Promise<string | null>>();
  const failed: { id: string; workUnit: string; message: string }[] = [];

  const consistent = (stored: SignedTreeHead, newer: SignedTreeHead): Promise<string | null> => {
    const key = `${stored.head.size}:${stored.head.root}`;
    let pending = consistency.get(key);
    if (!pending) {
      pending = (async () => {
        if (stored.head.size > newer.head.size) return 'the receipt’s tree head is newer than the log’s current one';
        const proof = await (source as LogSource).consistency(stored.head.size, newer.head.size);
        const result = await verifyConsistentHeads(stored, newer, proof, publicKey);
        return result.ok ? null : `the log rewrote its history: ${result.error.message}`;
      })().catch((error: Error) => `could not fetch a consistency proof: ${error.message}`);
      consistency.set(key, pending);
    }
    return pending;
  };

  for (const record of records) {
    const verdict = await judge(record, publicKey, current, source, consistent);
    verdicts.set(record.id, verdict);
    if (!verdict.ok) failed.push({ id: record.id, workUnit: record.workUnit, message: verdict.message });
  }
  return {
    checked: records.length,
    passed: records.length - failed.length,
    failed,
    against: current ? 'current' : 'stored',
    treeSize: current?.head.size ?? null,
    note,
    verdicts,
  };
}

async function judge(
  record: StoredReceipt,
  publicKey: string,
  current: SignedTreeHead | null,
  source: LogSource | null,
  consistent: (stored: SignedTreeHead, newer: SignedTreeHead) => Promise<string | null>,
): Promise<ReceiptVerdict> {
  const stored = await verifyReceipt(record.proven, publicKey);
  const storedSize = record.proven.treeHead.head.size;
  if (!stored.ok) return { ok: false, message: stored.error.message, against: 'stored', treeSize: storedSize };
  if (!current || !source)
    return {
      ok: true,
      message: 'signature and inclusion verified (stored tree head)',
      against: 'stored',
      treeSize: storedSize,
    };
  const size = current.head.size;
  try {
    const proof = await source.inclusion(record.index, size);
    const fresh: ProvenReceipt = {
      receipt: record.proven.receipt,
      proof: proof as ProvenReceipt['proof'],
      treeHead: current,
    };
    const result = await verifyReceipt(fresh, publicKey);
    if (!result.ok) return { ok: false, message: result.error.message, against: 'current', treeSize: size };
  } catch (error) {
    return {
      ok: false,
      message: `could not fetch an inclusion proof: ${(error as Error).message}`,
      against: 'current',
      treeSize: size,
    };
  }
  const history = await consistent(record.proven.treeHead, current);
  if (history) return { ok: false, message: history, against: 'current', treeSize: size };
  return {
    ok: true,
    message: `signature and inclusion verified against the log’s current tree head (size ${size})`,
    against: 'current',
    treeSize: size,
  };
}
