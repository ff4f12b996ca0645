import { generateSigningKeyPair, type ProvenReceipt } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { receiptRecord, type StoredReceipt } from './schema';
import { heldTotals, type ProjectTally, tallied } from './tally';
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

/** `heldTotals`' moved figures for entries of work alone. */
const NONE_MOVED = { movedIn: 0, movedOut: 0 };

/** `record` with its last check's outcome `ok`. */
const checked = (record: StoredReceipt, ok: boolean): StoredReceipt => ({ ...record, check: { ...record.check, ok } });

/** `t` after `record` was checked again with outcome `ok`, as the store records it: taken away as it was, added as it is. */
const rechecked = (t: ProjectTally | undefined, record: StoredReceipt, ok: boolean): ProjectTally =>
  tallied(tallied(t, record, -1), checked(record, ok), 1);

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
    expect(tally(records)).toEqual({
      project,
      receipts: 2,
      credit: 3,
      debits: 3,
      spent: 150,
      failed: 1,
      failedReceipts: 0,
      failedCredit: 0,
      failedSpent: 50,
    });
  });

  it('counts credit moved between grids under no project: an export as spent, the import of one as earned', async () => {
    const log = await createTestLog();
    const me = (await generateSigningKeyPair()).publicKeyText;
    const grid = (await generateSigningKeyPair()).publicKeyText;
    const out = stored(await log.append(me, { movedTo: grid, debit: 7 }));
    const into = stored(await log.append(me, { movedFrom: grid, credit: 4 }));
    expect(out).toMatchObject({ project: '', job: '', workUnit: '', credit: -7 });
    expect(into).toMatchObject({ project: '', job: '', workUnit: '', credit: 4 });
    expect(tally([out, into])).toEqual({
      project: '',
      receipts: 1,
      credit: 4,
      debits: 1,
      spent: 7,
      failed: 0,
      failedReceipts: 0,
      failedCredit: 0,
      failedSpent: 0,
    });
  });

  it('takes an entry away as it added it', async () => {
    const log = await createTestLog();
    const me = (await generateSigningKeyPair()).publicKeyText;
    const earned = stored(await log.append(me, { credit: 4 }));
    const paid = stored(await log.append(me, { debit: 7 }));
    const lost = stored(await log.append(me, { credit: 3 }), false);
    const all = tally([earned, paid, lost]);
    expect(tallied(tallied(tallied(all, lost, -1), paid, -1), earned, -1)).toEqual({
      project: earned.project,
      receipts: 0,
      credit: 0,
      debits: 0,
      spent: 0,
      failed: 0,
      failedReceipts: 0,
      failedCredit: 0,
      failedSpent: 0,
    });
  });
});

describe('the totals that hold', () => {
  it('count only receipts of work that verify, and their credit; debits that verify apart, as spent', async () => {
    const log = await createTestLog();
    const me = (await generateSigningKeyPair()).publicKeyText;
    const a = 'prj_aaaaaaaaaaaaaaaa';
    const b = 'prj_bbbbbbbbbbbbbbbb';
    const tallies = [
      tally([
        stored(await log.append(me, { project: a, credit: 2 })),
        stored(await log.append(me, { project: a, credit: 5 }), false),
        stored(await log.append(me, { project: a, debit: 10 })),
        stored(await log.append(me, { project: a, debit: 20 }), false),
      ]),
      tally([
        stored(await log.append(me, { project: b, credit: 1 })),
        stored(await log.append(me, { project: b, credit: 0.5 })),
        stored(await log.append(me, { project: b, credit: 4 }), false),
      ]),
    ].filter((t) => t !== undefined);
    expect(heldTotals(tallies)).toEqual({ receipts: 3, credit: 3.5, debits: 1, spent: 10, ...NONE_MOVED, failed: 3 });
    expect(heldTotals([])).toEqual({ receipts: 0, credit: 0, debits: 0, spent: 0, ...NONE_MOVED, failed: 0 });
  });

  it('count credit moved between grids apart, as moved in and moved out: no receipt of work, nothing spent', async () => {
    const log = await createTestLog();
    const me = (await generateSigningKeyPair()).publicKeyText;
    const [b, c] = [(await generateSigningKeyPair()).publicKeyText, (await generateSigningKeyPair()).publicKeyText];
    const tallies = [
      tally([stored(await log.append(me, { project: 'prj_aaaaaaaaaaaaaaaa', credit: 2 }))]),
      tally([
        stored(await log.append(me, { movedTo: b, debit: 0.5 })),
        stored(await log.append(me, { movedFrom: b, credit: 0.25 })),
        stored(await log.append(me, { movedFrom: c, credit: 4 }), false),
      ]),
    ].filter((t) => t !== undefined);
    expect(heldTotals(tallies)).toEqual({
      receipts: 1,
      credit: 2,
      debits: 0,
      spent: 0,
      movedIn: 0.25,
      movedOut: 0.5,
      failed: 1,
    });
  });

  it('follow a receipt whose later re-check fails, and count it again once it verifies', async () => {
    const log = await createTestLog();
    const me = (await generateSigningKeyPair()).publicKeyText;
    const kept = stored(await log.append(me, { credit: 2 }));
    const later = stored(await log.append(me, { credit: 3 }));
    const debit = stored(await log.append(me, { debit: 8 }));
    const before = tally([kept, later, debit]);
    expect(heldTotals([before as ProjectTally])).toEqual({
      receipts: 2,
      credit: 5,
      debits: 1,
      spent: 8,
      ...NONE_MOVED,
      failed: 0,
    });
    const failed = rechecked(rechecked(before, later, false), debit, false);
    expect(heldTotals([failed])).toEqual({ receipts: 1, credit: 2, debits: 0, spent: 0, ...NONE_MOVED, failed: 2 });
    const passed = rechecked(rechecked(failed, checked(later, false), true), checked(debit, false), true);
    expect(heldTotals([passed])).toEqual({ receipts: 2, credit: 5, debits: 1, spent: 8, ...NONE_MOVED, failed: 0 });
  });

  it('show no credit below zero when every entry failed, whatever order the sums were kept in', async () => {
    const log = await createTestLog();
    const me = (await generateSigningKeyPair()).publicKeyText;
    const records = [
      stored(await log.append(me, { credit: 0.3 })),
      stored(await log.append(me, { credit: 0.2 })),
      stored(await log.append(me, { credit: 0.1 })),
    ];
    // Added 0.3 + 0.2 + 0.1, failed 0.1 + 0.2 + 0.3: the two sums differ in their last bit.
    const failed = [...records]
      .reverse()
      .reduce<ProjectTally>((t, r) => rechecked(t, r, false), tally(records) as ProjectTally);
    expect(failed.credit - failed.failedCredit).toBeLessThan(0);
    expect(heldTotals([failed])).toEqual({ receipts: 0, credit: 0, debits: 0, spent: 0, ...NONE_MOVED, failed: 3 });
  });
});
