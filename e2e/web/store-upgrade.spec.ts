// @bricolage/receipts against Chromium's real IndexedDB: a database written by an older schema version opens and
// upgrades — its receipts, outbox and settings kept, its tallies counted again.
import type { CreditBody } from '@bricolage/protocol';
import { openStoreHarness } from './store-harness';
import { expect, test } from './support';

test.beforeEach(async ({ page, storeHarnessUrl }) => {
  await openStoreHarness(page, storeHarnessUrl);
});

test('opens a database written by schema version 1 and upgrades its receipts, outbox and settings', async ({
  page,
}) => {
  const written = await page.evaluate(async () => {
    const { receipts, testing, protocol } = window.harness;
    const log = await testing.createTestLog();
    const pair = await protocol.generateSigningKeyPair(true);
    const proven = [
      await log.append(pair.publicKeyText, { job: 'job_cccccccccccccccc', credit: 1.5 }),
      await log.append(pair.publicKeyText, { job: 'job_dddddddddddddddd', credit: 2.5 }),
    ];
    // Exactly what release 1 wrote: its own record shape, through raw IndexedDB.
    const db = await receipts.openDatabase('t-upgrade', 1);
    const tx = db.transaction(['identity', 'receipts', 'outbox', 'settings'], 'readwrite');
    tx.objectStore('identity').put(
      { publicKey: pair.publicKeyText, privateKey: pair.privateKey, createdAt: 5 },
      'self',
    );
    proven.forEach((p, i) => {
      const v1: import('@bricolage/receipts').ReceiptV1 = {
        id: `r${i}`,
        project: (p.receipt.body as CreditBody).project,
        proven: p,
        storedAt: 100 + i,
      };
      tx.objectStore('receipts').put(v1);
    });
    tx.objectStore('outbox').put({
      id: 'ls_9',
      result: { kind: 'error', lease: 'ls_9', code: 'timeout', message: 'slow' },
      createdAt: 7,
    });
    tx.objectStore('settings').put(55, 'throttle');
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
    const version = db.version;
    const stores = [...db.objectStoreNames];
    const indexes = [...db.transaction('receipts').objectStore('receipts').indexNames];
    db.close();
    return { version, stores, indexes, log: log.key.publicKeyText, volunteer: pair.publicKeyText };
  });
  expect(written.version).toBe(1);
  expect(written.indexes).toEqual(['by-project']);

  await page.reload();
  await page.waitForFunction(() => window.harnessReady === true);
  const upgraded = await page.evaluate(async ({ log, volunteer }) => {
    const { receipts } = window.harness;
    const store = await receipts.VolunteerStore.open('t-upgrade');
    const all = await store.receipts();
    const result = {
      identity: (await store.identity())?.publicKey,
      receipts: all.map((r) => ({
        id: r.id,
        job: r.job,
        credit: r.credit,
        index: r.index,
        ok: r.check.ok,
        storedAt: r.storedAt,
      })),
      byJob: (await store.receiptsOfJob('job_dddddddddddddddd')).map((r) => r.index),
      lastIndex: await store.lastIndex(log, volunteer),
      outbox: (await store.outbox.peek(5)).map((e) => e.id),
      settings: await store.settings(),
      totals: await store.totals(),
    };
    store.close();
    const raw = await receipts.openDatabase('t-upgrade');
    const version = raw.version;
    const indexes = [...raw.transaction('receipts').objectStore('receipts').indexNames].sort();
    raw.close();
    return { ...result, version, indexes };
  }, written);
  expect(upgraded.version).toBe(6);
  expect(upgraded.indexes).toEqual(['by-job', 'by-log-index', 'by-project', 'by-time']);
  expect(upgraded.identity).toBe(written.volunteer);
  expect(upgraded.receipts).toEqual([
    { id: `${written.log}/1`, job: 'job_dddddddddddddddd', credit: 2.5, index: 1, ok: true, storedAt: 101 },
    { id: `${written.log}/0`, job: 'job_cccccccccccccccc', credit: 1.5, index: 0, ok: true, storedAt: 100 },
  ]);
  expect(upgraded.byJob).toEqual([1]);
  expect(upgraded.lastIndex).toBe(1);
  expect(upgraded.outbox).toEqual(['ls_9']);
  expect(upgraded.settings.throttle).toBe(55);
  // The tallies are counted from the receipts version 1 left.
  expect(upgraded.totals).toEqual([
    {
      project: expect.stringMatching(/^prj_/),
      receipts: 2,
      credit: 4,
      debits: 0,
      spent: 0,
      failed: 0,
      failedReceipts: 0,
      failedCredit: 0,
      failedSpent: 0,
    },
  ]);
});

test('keeps an outbox written by schema version 3, counts its failures and sets results aside, durably', async ({
  page,
}) => {
  await page.evaluate(async () => {
    const { receipts } = window.harness;
    // Exactly what release 3 wrote: outbox entries without a failure count, through raw IndexedDB.
    const db = await receipts.openDatabase('t-aside', 3);
    const tx = db.transaction('outbox', 'readwrite');
    for (const [id, createdAt] of [
      ['ls_1', 10],
      ['ls_2', 20],
      ['ls_3', 30],
    ] as const)
      tx.objectStore('outbox').put({
        id,
        result: { kind: 'error', lease: id, code: 'timeout', message: 'slow' },
        createdAt,
      });
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
    db.close();
  });
  await page.reload();
  await page.waitForFunction(() => window.harnessReady === true);
  const first = await page.evaluate(async () => {
    const store = await window.harness.receipts.VolunteerStore.open('t-aside');
    const before = (await store.outbox.peek(10)).map((e) => [e.id, e.failures ?? 0]);
    const counts = [await store.outbox.recordFailure('ls_1'), await store.outbox.recordFailure('ls_1')];
    await store.outbox.recordFailure('ls_2');
    await store.outbox.setAside('ls_1', { code: 'internal', message: 'internal error' }, 1234);
    // Set aside is never re-added by a late put for the same lease, and a gone entry counts nothing.
    await store.outbox.put({
      id: 'ls_1',
      result: { kind: 'error', lease: 'ls_1' as never, code: 'timeout', message: 'again' },
      createdAt: 40,
    });
    const gone = await store.outbox.recordFailure('ls_404');
    store.close();
    return { before, counts, gone };
  });
  expect(first).toEqual({
    before: [
      ['ls_1', 0],
      ['ls_2', 0],
      ['ls_3', 0],
    ],
    counts: [1, 2],
    gone: 0,
  });
  await page.reload();
  await page.waitForFunction(() => window.harnessReady === true);
  const second = await page.evaluate(async () => {
    const store = await window.harness.receipts.VolunteerStore.open('t-aside');
    const result = {
      size: await store.outbox.size(),
      waiting: (await store.outbox.peek(10)).map((e) => [e.id, e.failures ?? 0]),
      aside: (await store.outbox.setAsideEntries()).map((e) => ({
        id: e.id,
        failures: e.failures,
        reason: e.reason,
        setAsideAt: e.setAsideAt,
        createdAt: e.createdAt,
      })),
    };
    store.close();
    return result;
  });
  expect(second).toEqual({
    size: 2,
    waiting: [
      ['ls_2', 1],
      ['ls_3', 0],
    ],
    aside: [
      {
        id: 'ls_1',
        failures: 2,
        reason: { code: 'internal', message: 'internal error' },
        setAsideAt: 1234,
        createdAt: 10,
      },
    ],
  });
});

test('counts the tallies of a database written by schema version 4 again, debits apart from receipts', async ({
  page,
}) => {
  const project = 'prj_mmmmmmmmmmmmmmmm';
  await page.evaluate(async (project) => {
    const { receipts, testing, protocol } = window.harness;
    const log = await testing.createTestLog();
    const me = (await protocol.generateSigningKeyPair()).publicKeyText;
    const entries = [await log.append(me, { project, credit: 2 }), await log.append(me, { project, debit: 50 })];
    // Exactly what release 4 wrote: each entry's net credit, and a tally that counted the debit as a receipt
    // and netted its cost against the credit.
    const db = await receipts.openDatabase('t-tallies', 4);
    const tx = db.transaction(['receipts', 'tallies'], 'readwrite');
    for (const proven of entries) {
      // Written by releases before exports: every entry of a work unit.
      const body = proven.receipt.body as CreditBody;
      tx.objectStore('receipts').put({
        id: `${body.log}/${body.index}`,
        log: body.log,
        index: body.index,
        volunteer: body.volunteer,
        project: body.project,
        job: body.job,
        workUnit: body.workUnit,
        credit: protocol.netCredit(body),
        at: body.at,
        proven,
        storedAt: 1,
        check: { at: 1, ok: true, message: 'verified', against: 'stored', treeSize: proven.treeHead.head.size },
      });
    }
    tx.objectStore('tallies').put({ project, receipts: 2, credit: -48, failed: 0 });
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
    db.close();
  }, project);
  await page.reload();
  await page.waitForFunction(() => window.harnessReady === true);
  const totals = await page.evaluate(async () => {
    const store = await window.harness.receipts.VolunteerStore.open('t-tallies');
    const totals = await store.totals();
    store.close();
    return totals;
  });
  expect(totals).toEqual([
    {
      project,
      receipts: 1,
      credit: 2,
      debits: 1,
      spent: 50,
      failed: 0,
      failedReceipts: 0,
      failedCredit: 0,
      failedSpent: 0,
    },
  ]);
});

test('counts the tallies of a database written by schema version 5 again, the failed entries by kind', async ({
  page,
}) => {
  const project = 'prj_mmmmmmmmmmmmmmmm';
  await page.evaluate(async (project) => {
    const { receipts, testing, protocol } = window.harness;
    const log = await testing.createTestLog();
    const me = (await protocol.generateSigningKeyPair()).publicKeyText;
    // Two receipts of work and two debits, one of each whose last re-check failed.
    const entries: [Awaited<ReturnType<typeof log.append>>, boolean][] = [
      [await log.append(me, { project, credit: 2 }), true],
      [await log.append(me, { project, credit: 3 }), false],
      [await log.append(me, { project, debit: 50 }), false],
      [await log.append(me, { project, debit: 20 }), true],
    ];
    // Exactly what release 5 wrote: a tally that counted how many entries failed, of either kind, and no more.
    const db = await receipts.openDatabase('t-tallies-5', 5);
    const tx = db.transaction(['receipts', 'tallies'], 'readwrite');
    for (const [proven, ok] of entries) {
      // Written by releases before exports: every entry of a work unit.
      const body = proven.receipt.body as CreditBody;
      tx.objectStore('receipts').put({
        id: `${body.log}/${body.index}`,
        log: body.log,
        index: body.index,
        volunteer: body.volunteer,
        project: body.project,
        job: body.job,
        workUnit: body.workUnit,
        credit: protocol.netCredit(body),
        at: body.at,
        proven,
        storedAt: 1,
        check: {
          at: 1,
          ok,
          message: ok ? 'verified' : 'bad proof',
          against: 'current',
          treeSize: proven.treeHead.head.size,
        },
      });
    }
    tx.objectStore('tallies').put({ project, receipts: 2, credit: 5, debits: 2, spent: 70, failed: 2 });
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
    db.close();
  }, project);
  await page.reload();
  await page.waitForFunction(() => window.harnessReady === true);
  const seen = await page.evaluate(async () => {
    const { receipts } = window.harness;
    const store = await receipts.VolunteerStore.open('t-tallies-5');
    const totals = await store.totals();
    store.close();
    return { totals, held: receipts.heldTotals(totals) };
  });
  expect(seen.totals).toEqual([
    {
      project,
      receipts: 2,
      credit: 5,
      debits: 2,
      spent: 70,
      failed: 2,
      failedReceipts: 1,
      failedCredit: 3,
      failedSpent: 50,
    },
  ]);
  expect(seen.held).toEqual({ receipts: 1, credit: 2, debits: 1, spent: 20, movedIn: 0, movedOut: 0, failed: 2 });
});
