import { generateSigningKeyPair, type ProvenReceipt } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { receiptRecord, type StoredReceipt } from './schema';
import { type ProjectTally, tallied } from './tally';
import { createTestLog } from './testing';

const stored = (proven: ProvenReceipt, ok = true): StoredReceipt =>
  receiptRecord(proven, 0, {
    at: 0,
    ok,
    message: ok ? 'verified' : 'bad proof',
    against: 'stored',
    treeSize: proven.treeHead.head.size,
  });

const tally = (records: StoredReceipt[]): ProjectTally | undefined =>
  records.reduce<ProjectTally | undefined>((t, r) => tallied(t, r, 1), undefined);

describe('a project’s tally', () => {
  it('counts debits apart from receipts of work: credit earned and credit spent, never netted', async () => {
    const log = await createTestLog();
    const me = (await generateSigningKeyPair()).publicKeyText;
    const project = 'prj_mmmmmmmmmmmmmmmm';
    // The key's own project: it earned 2 + 1 computing its own job, and the job's units cost it 3 × 50.
    const records = [
      stored(await log.append(me, { project, credit: 2 })),
      stored(await log.append(me, { project, debit: 50 })),
      stored(await log.append(me, { project, credit: 1 })),
      stored(await log.append(me, { project, debit: 50 })),
      stored(await log.append(me, { project, debit: 50 }), false),
    ];
    expect(tally(records)).toEqual({ project, receipts: 2, credit: 3, debits: 3, spent: 150, failed: 1 });
  });

  it('takes an entry away as it added it', async () => {
    const log = await createTestLog();
    const me = (await generateSigningKeyPair()).publicKeyText;
    const earned = stored(await log.append(me, { credit: 4 }));
    const paid = stored(await log.append(me, { debit: 7 }));
    const both = tally([earned, paid]);
    expect(tallied(tallied(both, paid, -1), earned, -1)).toEqual({
      project: earned.project,
      receipts: 0,
      credit: 0,
      debits: 0,
      spent: 0,
      failed: 0,
    });
  });
});
