// @bricolage/receipts against Chromium's real IndexedDB: a receipt is stored only once it verifies, the
// identity, outbox and settings persist, and a database written by an older schema version opens and upgrades.
import type { Page } from '@playwright/test';
import { expect, test } from './support';

declare global {
  interface Window {
    harness: {
      receipts: typeof import('@bricolage/receipts');
      protocol: typeof import('@bricolage/protocol');
      testing: typeof import('@bricolage/receipts/testing');
    };
    harnessReady: boolean;
  }
}

async function open(page: Page, url: string): Promise<void> {
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
  await page.goto(`${url}/index.html`);
  await page.waitForFunction(() => window.harnessReady === true);
}

test.beforeEach(async ({ page, storeHarnessUrl }) => {
  await open(page, storeHarnessUrl);
});

test('stores a receipt only after it verifies, and says why the others were refused', async ({ page }) => {
  const outcome = await page.evaluate(async () => {
    const { receipts, testing } = window.harness;
    const store = await receipts.VolunteerStore.open('t-verify');
    const me = await store.ensureIdentity();
    const log = await testing.createTestLog();
    const forger = await testing.createTestLog();
    const good = await log.append(me.publicKey, { credit: 2 });
    const tampered = await log.append(me.publicKey);
    (tampered.receipt.body as import('@bricolage/protocol').CreditBody).credit = 3;
    const forged = await forger.append(me.publicKey);
    const notMine = await log.append((await window.harness.protocol.generateSigningKeyPair()).publicKeyText);
    const result = await store.addReceipts(
      [good, tampered, forged, notMine, { nonsense: true }],
      log.key.publicKeyText,
      me.publicKey,
    );
    const again = await store.addReceipts([good], log.key.publicKeyText, me.publicKey);
    const kept = await store.receipts();
    store.close();
    return { result, again, kept: kept.map((r) => ({ workUnit: r.workUnit, credit: r.credit, ok: r.check.ok })) };
  });
  expect(outcome.result.added).toBe(1);
  expect(outcome.result.rejected.map((r) => r.message)).toEqual([
    'receipt signature does not verify',
    'receipt belongs to another log',
    expect.stringMatching(/credits another volunteer/),
    expect.stringMatching(/not a proven receipt/),
  ]);
  expect(outcome.again).toEqual({ added: 0, alreadyHere: 1, rejected: [] });
  expect(outcome.kept).toEqual([{ workUnit: 'wu_1', credit: 2, ok: true }]);
});

test('keeps the identity, settings and receipts across a reload; the key stays extractable for backup', async ({
  page,
}) => {
  const first = await page.evaluate(async () => {
    const { receipts, testing } = window.harness;
    const store = await receipts.VolunteerStore.open('t-persist');
    const me = await store.ensureIdentity();
    const log = await testing.createTestLog();
    await store.addReceipts(
      [await log.append(me.publicKey, { project: 'prj_aaaaaaaaaaaaaaaa', job: 'job_aaaaaaaaaaaaaaaa' })],
      log.key.publicKeyText,
      me.publicKey,
    );
    await store.addReceipts(
      [await log.append(me.publicKey, { project: 'prj_bbbbbbbbbbbbbbbb', credit: 4 })],
      log.key.publicKeyText,
      me.publicKey,
    );
    await store.saveSettings({ throttle: 35, pauseWhenHidden: false });
    store.close();
    return { key: me.publicKey, log: log.key.publicKeyText };
  });
  await page.reload();
  await page.waitForFunction(() => window.harnessReady === true);
  const second = await page.evaluate(async ({ log }) => {
    const { receipts } = window.harness;
    const store = await receipts.VolunteerStore.open('t-persist');
    const me = await store.identity();
    const again = await store.ensureIdentity();
    const result = {
      key: me?.publicKey,
      same: again.publicKey === me?.publicKey,
      extractable: me?.privateKey.extractable,
      settings: await store.settings(),
      totals: await store.totals(),
      byJob: (await store.receiptsOfJob('job_aaaaaaaaaaaaaaaa')).length,
      byProject: (await store.receiptsOfProject('prj_bbbbbbbbbbbbbbbb')).map((r) => r.credit),
      lastIndex: await store.lastIndex(log, me?.publicKey ?? ''),
      fingerprint: await receipts.fingerprint(me?.publicKey ?? ''),
    };
    store.close();
    return result;
  }, first);
  expect(second.key).toBe(first.key);
  expect(second.same).toBe(true);
  expect(second.extractable).toBe(true);
  expect(second.settings).toEqual({
    throttle: 35,
    pauseWhenHidden: false,
    pauseOnBattery: true,
    coordinatorKey: null,
    consentedAt: null,
    // Every project, until the volunteer first unticks one (issue 17's per-project choice).
    servedProjects: null,
    // No other grid, and the home grid's default share (issue 19's several grids).
    grids: [],
    homeShare: 100,
  });
  expect(second.totals).toEqual(
    expect.arrayContaining([
      {
        project: 'prj_aaaaaaaaaaaaaaaa',
        receipts: 1,
        credit: 1,
        debits: 0,
        spent: 0,
        failed: 0,
        failedReceipts: 0,
        failedCredit: 0,
        failedSpent: 0,
      },
      {
        project: 'prj_bbbbbbbbbbbbbbbb',
        receipts: 1,
        credit: 4,
        debits: 0,
        spent: 0,
        failed: 0,
        failedReceipts: 0,
        failedCredit: 0,
        failedSpent: 0,
      },
    ]),
  );
  expect(second.byJob).toBe(1);
  expect(second.byProject).toEqual([4]);
  expect(second.lastIndex).toBe(1);
  expect(second.fingerprint).toMatch(/^[0-9a-f]{4}( [0-9a-f]{4}){3}$/);
});

test('the outbox behaves as the runtime expects: first entry per lease wins, oldest first, durable', async ({
  page,
}) => {
  await page.evaluate(async () => {
    const store = await window.harness.receipts.VolunteerStore.open('t-outbox');
    const result = (lease: string, output: string) => ({
      kind: 'ok' as const,
      lease: lease as never,
      output,
      outputHash: '00'.repeat(32) as never,
      backend: 'wasm' as const,
      elapsedMs: 1,
    });
    await store.outbox.put({ id: 'ls_2', result: result('ls_2', 'b'), createdAt: 20 });
    await store.outbox.put({ id: 'ls_1', result: result('ls_1', 'a'), createdAt: 10 });
    await store.outbox.put({ id: 'ls_3', result: result('ls_3', 'c'), createdAt: 30 });
    await store.outbox.put({ id: 'ls_1', result: result('ls_1', 'REPLACED'), createdAt: 40 });
    store.close();
  });
  await page.reload();
  await page.waitForFunction(() => window.harnessReady === true);
  const seen = await page.evaluate(async () => {
    const store = await window.harness.receipts.VolunteerStore.open('t-outbox');
    const size = await store.outbox.size();
    const firstTwo = (await store.outbox.peek(2)).map((e) => [e.id, (e.result as { output: string }).output]);
    await store.outbox.remove(['ls_1', 'ls_404']);
    const after = (await store.outbox.peek(10)).map((e) => e.id);
    const none = await store.outbox.peek(0);
    store.close();
    return { size, firstTwo, after, none };
  });
  expect(seen).toEqual({
    size: 3,
    firstTwo: [
      ['ls_1', 'a'],
      ['ls_2', 'b'],
    ],
    after: ['ls_2', 'ls_3'],
    none: [],
  });
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
        project: p.receipt.body.project,
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
      const body = proven.receipt.body;
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
      const body = proven.receipt.body;
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
  expect(seen.held).toEqual({ receipts: 1, credit: 2, debits: 1, spent: 20, failed: 2 });
});

test('keeps per-project tallies with the receipts: added once, failed checks counted, newest read first', async ({
  page,
}) => {
  const seen = await page.evaluate(async () => {
    const { receipts, testing } = window.harness;
    const store = await receipts.VolunteerStore.open('t-tallies');
    const me = await store.ensureIdentity();
    const log = await testing.createTestLog();
    const key = log.key.publicKeyText;
    const a = 'prj_aaaaaaaaaaaaaaaa';
    const b = 'prj_bbbbbbbbbbbbbbbb';
    const offered = [
      await log.append(me.publicKey, { project: a, credit: 1, at: 1000 }),
      await log.append(me.publicKey, { project: a, credit: 2, at: 3000 }),
      await log.append(me.publicKey, { project: b, credit: 4, at: 2000 }),
    ];
    await store.addReceipts(offered, key, me.publicKey);
    // Offered again (a sync that overlaps the last one): nothing is counted twice.
    await store.addReceipts(offered.slice(1), key, me.publicKey);
    const sorted = <T extends { project: string }>(t: T[]) => [...t].sort((x, y) => x.project.localeCompare(y.project));
    const afterAdd = sorted(await store.totals());
    const newest = (await store.recentReceipts(2)).map((r) => r.credit);
    const none = await store.recentReceipts(0);
    const id = (await store.recentReceipts(1))[0]?.id ?? '';
    const check = (ok: boolean) => ({
      ok,
      message: ok ? 'verified' : 'bad proof',
      against: 'current' as const,
      treeSize: 3,
    });
    await store.recordChecks(new Map([[id, check(false)]]));
    await store.recordChecks(new Map([[id, check(false)]]));
    const afterFail = sorted(await store.totals());
    const heldAfterFail = receipts.heldTotals(afterFail);
    await store.recordChecks(new Map([[id, check(true)]]));
    const afterPass = sorted(await store.totals());
    store.close();
    return { afterAdd, newest, none, afterFail, heldAfterFail, afterPass };
  });
  expect(seen.afterAdd).toEqual([
    {
      project: 'prj_aaaaaaaaaaaaaaaa',
      receipts: 2,
      credit: 3,
      debits: 0,
      spent: 0,
      failed: 0,
      failedReceipts: 0,
      failedCredit: 0,
      failedSpent: 0,
    },
    {
      project: 'prj_bbbbbbbbbbbbbbbb',
      receipts: 1,
      credit: 4,
      debits: 0,
      spent: 0,
      failed: 0,
      failedReceipts: 0,
      failedCredit: 0,
      failedSpent: 0,
    },
  ]);
  expect(seen.newest).toEqual([2, 4]);
  expect(seen.none).toEqual([]);
  expect(seen.afterFail[0]).toEqual({
    project: 'prj_aaaaaaaaaaaaaaaa',
    receipts: 2,
    credit: 3,
    debits: 0,
    spent: 0,
    failed: 1,
    // The one that failed is the newest: a receipt of work, of 2 credit.
    failedReceipts: 1,
    failedCredit: 2,
    failedSpent: 0,
  });
  // What still verifies, over both projects: the failed receipt and its credit counted in neither.
  expect(seen.heldAfterFail).toEqual({ receipts: 2, credit: 5, debits: 0, spent: 0, failed: 1 });
  expect(seen.afterPass[0]).toEqual({
    project: 'prj_aaaaaaaaaaaaaaaa',
    receipts: 2,
    credit: 3,
    debits: 0,
    spent: 0,
    failed: 0,
    failedReceipts: 0,
    failedCredit: 0,
    failedSpent: 0,
  });
});
