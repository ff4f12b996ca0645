// Receipt: each credit (and each debit, export and import) becomes an entry appended to the public Merkle log,
// in the transaction that grants it. The log has one appender at a time (its head is locked until commit), and
// its head carries the tree's frontier, so an append reads one row and writes its receipts, their nodes and the
// new head: nothing of the tree is read back.
import { type CreditBody, type ReceiptBody, canonicalJson, workUnitId } from '@bricolage/protocol';
import { appendToFrontier, leafHashSync, rootOfFrontier } from '../log/merkle-tree';
import type { MerkleNode, NewReceipt } from '../store/records';
import type { StepContext } from './context';
import type { LogEntry } from './log-entries';

const utf8 = new TextEncoder();

function bodyOf(e: LogEntry, log: string, index: number, at: number): ReceiptBody {
  if (e.kind === 'import')
    return {
      v: 1,
      type: 'import',
      log,
      index,
      volunteer: e.volunteer,
      from: e.from,
      fromIndex: e.fromIndex,
      credit: e.amount,
      at,
    };
  if (e.kind === 'export')
    return { v: 1, type: 'export', log, index, volunteer: e.volunteer, to: e.to, debit: e.amount, at };
  const common = { v: 1 as const, log, index, project: e.project, job: e.job, workUnit: workUnitId(e.workUnit) };
  if (e.kind === 'debit')
    return { ...common, type: 'debit', volunteer: e.funder, replicas: e.replicas, debit: e.amount, at };
  return {
    ...common,
    type: 'credit',
    volunteer: e.volunteer,
    outputHash: e.outputHash as CreditBody['outputHash'],
    credit: e.amount,
    at,
    ...(e.funder ? { funder: e.funder } : {}),
  };
}

/** Appends the entries to the log, in order; returns the index of the first. */
export async function appendReceipts(ctx: StepContext, entries: readonly LogEntry[]): Promise<number> {
  const { tx, now } = ctx;
  const head = await tx.lockLogHead();
  let frontier = head.frontier.slice();
  let size = head.size;
  const receipts: NewReceipt[] = [];
  const nodes: MerkleNode[] = [];
  for (const e of entries) {
    const body = bodyOf(e, ctx.logKey, size, now);
    const json = canonicalJson(body);
    const leaf = leafHashSync(utf8.encode(json));
    const appended = appendToFrontier(frontier, size, leaf);
    receipts.push({ index: size, volunteer: body.volunteer, body: json, leaf });
    // Level 0 is the leaf, which the receipt's row carries.
    for (const n of appended.nodes) if (n.level > 0) nodes.push(n);
    frontier = appended.frontier;
    size++;
  }
  await tx.insertReceipts(receipts);
  if (nodes.length > 0) await tx.insertMerkleNodes(nodes);
  // Never earlier than the head it extends, whatever the clocks of the processes appending.
  await tx.setLogHead({ size, frontier, root: rootOfFrontier(frontier), at: Math.max(head.at, now) });
  return head.size;
}
