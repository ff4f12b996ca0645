// @bricolage/receipts against Chromium's real IndexedDB: a receipt is stored only once it verifies, the
// identity, outbox and settings persist, and the per-project tallies follow the receipts. A database written by an
// older schema version: store-upgrade.spec.ts.
import { openStoreHarness } from './store-harness';
import { expect, test } from './support';

test.beforeEach(async ({ page, storeHarnessUrl }) => {
  await openStoreHarness(page, storeHarnessUrl);
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
    // No project's key yet: the page keeps one once it verifies a signed job of the project.
    projectKeys: {},
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
  expect(seen.heldAfterFail).toEqual({
    receipts: 2,
    credit: 5,
    debits: 0,
    spent: 0,
    movedIn: 0,
    movedOut: 0,
    failed: 1,
  });
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
