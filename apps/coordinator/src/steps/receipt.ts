// Receipt: each credit becomes a receipt appended to the public Merkle log, in the transaction that grants
// it. The log has one appender at a time (its head is locked until commit), and its head carries the tree's
// frontier, so an append reads one row and writes its receipts, their nodes and the new head: nothing of the
// tree is read back.
import {
  type JobId,
  type ProjectId,
  type ReceiptBody,
  type VolunteerKey,
  type WorkUnitNumber,
  canonicalJson,
  workUnitId,
} from '@bricolage/protocol';
import { appendToFrontier, leafHashSync, rootOfFrontier } from '../log/merkle-tree';
import type { MerkleNode, NewReceipt } from '../store/records';
import type { StepContext } from './context';

/** A credit granted by a verdict, waiting for its place in the log. */
export interface Credit {
  readonly job: JobId;
  readonly project: ProjectId;
  readonly workUnit: WorkUnitNumber;
  readonly volunteer: VolunteerKey;
  readonly outputHash: string;
  readonly amount: number;
}

const utf8 = new TextEncoder();

export async function appendReceipts(ctx: StepContext, credits: readonly Credit[]): Promise<void> {
  const { tx, now } = ctx;
  const head = await tx.lockLogHead();
  let frontier = head.frontier.slice();
  let size = head.size;
  const receipts: NewReceipt[] = [];
  const nodes: MerkleNode[] = [];
  for (const c of credits) {
    const body: ReceiptBody = {
      v: 1,
      type: 'credit',
      log: ctx.logKey,
      index: size,
      volunteer: c.volunteer,
      project: c.project,
      job: c.job,
      workUnit: workUnitId(c.workUnit),
      outputHash: c.outputHash as ReceiptBody['outputHash'],
      credit: c.amount,
      at: now,
    };
    const json = canonicalJson(body);
    const leaf = leafHashSync(utf8.encode(json));
    const appended = appendToFrontier(frontier, size, leaf);
    receipts.push({ index: size, volunteer: c.volunteer, body: json, leaf });
    // Level 0 is the leaf, which the receipt's row carries.
    for (const n of appended.nodes) if (n.level > 0) nodes.push(n);
    frontier = appended.frontier;
    size++;
  }
  await tx.insertReceipts(receipts);
  if (nodes.length > 0) await tx.insertMerkleNodes(nodes);
  // Never earlier than the head it extends, whatever the clocks of the processes appending.
  await tx.setLogHead({ size, frontier, root: rootOfFrontier(frontier), at: Math.max(head.at, now) });
}
