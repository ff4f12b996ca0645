// The farm against a real coordinator: headless tabs driving the real volunteer page.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Coordinator } from '@bricolage/coordinator';
import { BrowserTab, type FarmSummary, findChromium, humanSummary, startFarm, survivors } from '@bricolage/farm';
import { countPrimes, decodePrimeCount } from '@bricolage/workloads';
import { expect, test } from '@playwright/test';
import { gridPerTest } from '../support/grid-per-test';
import Database from 'better-sqlite3';
import { seedPrimes } from '../web/support';

const chromium = findChromium();
if (!chromium.ok) throw new Error(chromium.message);

const grid = gridPerTest('bricolage-farm-');

const farmOptions = (tabs: number, wus: number) => ({
  coordinator: grid.coordinator.url,
  tabs,
  chromium: chromium.ok ? chromium.path : '',
  profiles: join(grid.dir, 'profiles'),
  wus,
  throttle: 100,
  unreachableTimeoutMs: 30_000,
  pollMs: 500,
  flushTimeoutMs: 30_000,
});

function replicas(sql: string): { wu: number; volunteer: string; state: string }[] {
  const db = new Database(join(grid.dir, 'data', 'bricolage.sqlite'), { readonly: true });
  try {
    return db.prepare(sql).all() as { wu: number; volunteer: string; state: string }[];
  } finally {
    db.close();
  }
}

test('three tabs collect their garbage while they serve, and compute a primes batch end to end, each quorum formed by distinct tabs', async () => {
  const seeded = await seedPrimes(grid.coordinator, { limit: 10_000_000, segment: 1_000_000, minQuorum: 2 });
  // The work waits until every tab has collected once, so the collections cannot miss a batch that a quick
  // machine would otherwise finish before the first is due.
  await grid.coordinator.store.setJobState(seeded.job as never, 'paused');
  const farm = startFarm({ ...farmOptions(3, seeded.workUnits * 2), collectEveryMs: 200 });
  await expect.poll(() => farm.tabs.map((t) => t.collections > 0), { timeout: 60_000 }).toEqual([true, true, true]);
  await grid.coordinator.store.setJobState(seeded.job as never, 'active');
  const summary = await farm.done;
  expect(summary).toMatchObject({ reason: 'wus', exit_code: 0, crashed: 0, rejected: 0, dropped: 0, unflushed: 0 });
  expect(summary.validated).toBe(seeded.workUnits * 2);

  const results = await grid.coordinator.store.results(seeded.job as never, 0, 1000);
  expect(results).toHaveLength(seeded.workUnits);
  let total = 0;
  for (const r of results) {
    expect(r.state).toBe('validated');
    const [a, b] = (r.tag ?? '').match(/\d+/g)?.map(Number) ?? [];
    const count = decodePrimeCount(r.output as Uint8Array);
    expect(count).toBe(countPrimes(a as number, b as number));
    total += count;
  }
  expect(total).toBe(664_579); // π(10^7)

  const tabKeys = new Set(summary.per_tab.map((t) => t.volunteer));
  const valid = replicas("SELECT wu, volunteer, state FROM replicas WHERE state = 'valid'");
  const byUnit = new Map<number, typeof valid>();
  for (const r of valid) byUnit.set(r.wu, [...(byUnit.get(r.wu) ?? []), r]);
  expect(byUnit.size).toBe(seeded.workUnits);
  for (const quorum of byUnit.values()) {
    expect(new Set(quorum.map((r) => r.volunteer)).size).toBe(2);
    for (const r of quorum) expect(tabKeys.has(r.volunteer)).toBe(true);
  }
});

test('a farm that finds no work while the grid has some says why, and exits non-zero', async () => {
  // Every unit needs three volunteers to agree; a farm of two tabs does its part and then has nothing to do.
  const seeded = await seedPrimes(grid.coordinator, { limit: 2_000_000, segment: 1_000_000, minQuorum: 3 });
  const summary = await startFarm({ ...farmOptions(2, seeded.workUnits), idleStopMs: 5000 }).done;
  expect(summary).toMatchObject({ reason: 'no-work', exit_code: 5, crashed: 0, rejected: 0 });
  expect(summary.unfinished_jobs).toEqual([
    {
      project: 'Prime count (test)',
      job: seeded.job,
      name: expect.any(String),
      unfinished: seeded.workUnits,
      why: `${seeded.workUnits} work units wait for more volunteers: each needs 3 distinct volunteers to agree, and the eligible volunteers online (2) already hold or returned them`,
    },
  ]);
  expect(humanSummary(summary)).toContain('The grid still has 2 unfinished work units, but none for this farm:');
});

test('a farm given a second coordinator serves it too from every tab, with the same key', async () => {
  const { startCoordinator } = await import('@bricolage/coordinator');
  const other = await startCoordinator({
    dataDir: join(grid.dir, 'other'),
    port: 0,
    webRoot: join(process.cwd(), 'apps/web/dist'),
    config: { peers: false },
  });
  try {
    const home = await seedPrimes(grid.coordinator, { limit: 2_000_000, segment: 1_000_000 });
    const away = await seedPrimes(other, { limit: 3_000_000, segment: 1_000_000, projectName: 'Other primes' });
    // No --wus target it could reach: the test stops it once both grids' work is validated.
    const farm = startFarm({ ...farmOptions(1, 1_000), grids: [other.url] });
    const validated = async (c: Coordinator, job: string) => (await c.store.progress(job as never)).counts.validated;
    await expect.poll(() => validated(other, away.job), { timeout: 120_000 }).toBe(away.workUnits);
    await expect.poll(() => validated(grid.coordinator, home.job), { timeout: 120_000 }).toBe(home.workUnits);
    // The page reads the other grid's counters for its key (every few seconds) and the farm reports them.
    await expect.poll(() => farm.tabs[0]?.snapshot?.grids[0]?.validated, { timeout: 30_000 }).toBe(away.workUnits);
    farm.stop();
    const summary = await farm.done;
    expect(summary).toMatchObject({ exit_code: 0, crashed: 0, rejected: 0, validated: home.workUnits });
    expect(summary.grids).toEqual([{ url: other.url, validated: away.workUnits, receipts: expect.any(Number) }]);
    expect(humanSummary(summary)).toContain(`grid ${other.url}: validated ${away.workUnits}`);
    // One key for both grids: the tab's volunteer is who each coordinator validated.
    const key = summary.per_tab[0]?.volunteer;
    const db = new Database(join(grid.dir, 'other', 'bricolage.sqlite'), { readonly: true });
    try {
      const volunteers = db.prepare("SELECT DISTINCT volunteer FROM replicas WHERE state = 'valid'").all();
      expect(volunteers).toEqual([{ volunteer: key }]);
    } finally {
      db.close();
    }
    expect(
      new Set(replicas("SELECT wu, volunteer, state FROM replicas WHERE state = 'valid'").map((r) => r.volunteer)),
    ).toEqual(new Set([key]));
  } finally {
    await other.close();
  }
});

test('a farm run again on the same profiles keeps its identities and counts only its own results', async () => {
  // Few units, so that no tab earns the trust that would let it validate alone (trustAfter 10).
  const first = await seedPrimes(grid.coordinator, { limit: 2_000_000, segment: 1_000_000, minQuorum: 2 });
  const before = await startFarm(farmOptions(2, first.workUnits * 2)).done;
  expect(before).toMatchObject({ reason: 'wus', exit_code: 0, validated: first.workUnits * 2 });
  const second = await seedPrimes(grid.coordinator, { limit: 3_000_000, segment: 1_000_000, minQuorum: 2 });
  const again = await startFarm(farmOptions(2, second.workUnits * 2)).done;
  expect(again).toMatchObject({ reason: 'wus', exit_code: 0, validated: second.workUnits * 2 });
  // It ran until its own results were in, not until its identities' lifetime counts reached the target.
  expect((await grid.coordinator.store.progress(second.job as never)).counts.validated).toBe(second.workUnits);
  expect(again.per_tab.map((t) => t.volunteer)).toEqual(before.per_tab.map((t) => t.volunteer));
});

test('a crashed tab is reported, and the coordinator reissues its work units to the other tabs', async () => {
  // Units of ~25 ms, so that the job still has work for the victim once its submits are cut, however far
  // ahead the other tabs lease (the pipeline leases ahead a multiple of a lease's round trip in work).
  const seeded = await seedPrimes(grid.coordinator, {
    limit: 1_000_000_000,
    segment: 10_000_000,
    minQuorum: 2,
    leaseSeconds: 5,
  });
  // The crashed tab's last results may validate after it died, unseen by the farm: the farm then stops
  // when the grid has no work left for the survivors.
  // Idle volunteers ask again after the coordinator's retryAfter (10 s): give the reissue time to happen.
  const farm = startFarm({ ...farmOptions(3, seeded.workUnits * 2), idleStopMs: 30_000 });
  const victim = farm.tabs[0]!;
  // Its results never reach the coordinator, so when it crashes it surely holds leases that only the
  // coordinator's expiry can take back. Cut from its launch, before its page computes anything: cut once it had
  // started, the others (measured fast, leased 30 s of work each) could already hold every unit it had not
  // delivered, and it had nothing left to hold (CI, once: its outbox stayed empty for a minute).
  await expect.poll(() => victim.browser !== null, { timeout: 60_000, intervals: [10] }).toBe(true);
  const browser = victim.browser!;
  browser.on('Fetch.requestPaused', (e) => {
    void browser.send('Fetch.failRequest', { requestId: e.requestId, errorReason: 'Failed' }).catch(() => undefined);
  });
  await browser.send('Fetch.enable', { patterns: [{ urlPattern: '*/v1/volunteer/submit*' }] });
  await expect.poll(() => victim.ready, { timeout: 60_000 }).toBe(true);
  await expect.poll(() => victim.snapshot?.outbox ?? 0, { timeout: 60_000, intervals: [100] }).toBeGreaterThan(0);
  const key = victim.snapshot?.volunteer;
  // Fails once the page is gone: its session dies with it.
  await browser.send('Page.crash').catch(() => undefined);
  // What it held is read once the coordinator has answered what the page sent before it died (a submit
  // sent before the cut may still have been in flight at the crash), and well before its 5 s leases expire.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const heldAtCrash = replicas("SELECT wu, volunteer, state FROM replicas WHERE state = 'leased'").filter(
    (r) => r.volunteer === key,
  );
  expect(heldAtCrash.length).toBeGreaterThan(0);
  const summary: FarmSummary = await farm.done;
  expect(['wus', 'no-work']).toContain(summary.reason);
  expect(summary.crashed).toBe(1);
  expect(summary.per_tab[0]).toMatchObject({ crashed: true });
  expect(summary.exit_code).toBe(1);
  const results = await grid.coordinator.store.results(seeded.job as never, 0, 1000);
  expect(results.filter((r) => r.state === 'validated')).toHaveLength(seeded.workUnits);
  // What the crashed tab held when it died expired and was computed by the others.
  expect(summary.per_tab[0]?.volunteer).toBe(key);
  const expired = replicas("SELECT wu, volunteer, state FROM replicas WHERE state = 'expired'").filter(
    (r) => r.volunteer === key,
  );
  const valid = replicas("SELECT wu, volunteer, state FROM replicas WHERE state = 'valid'");
  for (const lost of heldAtCrash) {
    expect(expired.map((e) => e.wu)).toContain(lost.wu);
    expect(valid.filter((v) => v.wu === lost.wu && v.volunteer !== key)).toHaveLength(2);
  }
});

test('Ctrl-C stops the CLI cleanly: results flushed, no Chromium left behind', async () => {
  const seeded = await seedPrimes(grid.coordinator, { limit: 200_000_000, segment: 1_000_000, minQuorum: 1 });
  const profiles = join(grid.dir, 'cli-profiles');
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'apps/farm/src/cli.ts',
      '--coordinator',
      grid.coordinator.url,
      '--tabs',
      '2',
      '--duration',
      '10m',
      '--json',
      '--profiles',
      profiles,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d;
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await expect
    .poll(async () => (await grid.coordinator.store.progress(seeded.job as never)).counts.validated, {
      timeout: 90_000,
    })
    .toBeGreaterThan(3);
  child.kill('SIGINT');
  const code = await exited;
  expect(code, stderr).toBe(0);
  const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as FarmSummary;
  expect(summary, stderr).toMatchObject({ reason: 'signal', unflushed: 0, crashed: 0 });
  // Every result the tabs computed reached the coordinator before the browsers closed.
  expect(summary.per_tab.reduce((n, t) => n + t.validated, 0)).toBe(summary.computed);
  expect(survivors(profiles)).toEqual([]);
});

test('a farm browser runs its page in one renderer: no spare renderer, no omnibox pages', async () => {
  const profile = join(grid.dir, 'lean');
  const tab = await BrowserTab.launch({ chromium: chromium.ok ? chromium.path : '', profile });
  try {
    await tab.navigate(grid.coordinator.url);
    await tab.waitFor(() => document.readyState === 'complete', null, 30_000);
    // Chromium warms its spare renderer, and builds the omnibox's pages, within moments of a navigation.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const { targetInfos } = await tab.sendToBrowser<{ targetInfos: { type: string; url: string }[] }>(
      'Target.getTargets',
    );
    expect(targetInfos.map((t) => t.type)).toEqual(['page']);
    const renderers = survivors(profile).filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer');
      } catch {
        return false; // exited since it was listed
      }
    });
    expect(renderers).toHaveLength(1);
  } finally {
    await tab.close();
  }
});

test("a farm browser collects the garbage of its page's workers, where a tab computes", async () => {
  // A page of its own on loopback: one worker that idles, so nothing but the test allocates in it.
  const server = createServer((req, res) => {
    const worker = req.url === '/worker.js';
    res.writeHead(200, { 'content-type': worker ? 'text/javascript' : 'text/html' });
    res.end(worker ? 'setInterval(() => {}, 1000);' : "<script>new Worker('/worker.js')</script>");
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const tab = await BrowserTab.launch({ chromium: chromium.ok ? chromium.path : '', profile: join(grid.dir, 'gc') });
  try {
    await tab.navigate(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await expect.poll(() => tab.workers().length, { timeout: 15_000 }).toBe(1);
    const [worker] = tab.workers() as [string];
    const used = async () =>
      (await tab.sendToWorker<{ usedSize: number }>(worker, 'Runtime.getHeapUsage')).usedSize / 2 ** 20;
    // Enough small objects to outlive the young generation, measured while still held (so that a collection V8
    // runs on its own cannot shrink the reading), then dropped: garbage only a full collection frees.
    await tab.sendToWorker(worker, 'Runtime.evaluate', {
      expression: "globalThis.junk = Array.from({ length: 400000 }, (_, i) => ({ i, s: 'x' + i })); 0",
    });
    const before = await used();
    await tab.sendToWorker(worker, 'Runtime.evaluate', { expression: 'globalThis.junk = null; 0' });
    await tab.collectGarbage();
    const after = await used();
    expect(before).toBeGreaterThan(10);
    expect(after).toBeLessThan(before / 4);
  } finally {
    await tab.close();
    server.close();
  }
});
