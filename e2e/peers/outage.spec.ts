// Outage continuity: the coordinator (a child process) is killed for 60 s while three volunteers compute, and
// restarted on the same port and data. Meanwhile the volunteers keep computing what they hold, keep the results
// in IndexedDB, announce them in the room, and keep seeing each other over their WebRTC connections (the swarm
// view stays up). Once it is back, every computed result is delivered: none lost, none credited twice.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API, type TabSnapshot } from '@bricolage/protocol';
import type { Page } from '@playwright/test';
import { ChildCoordinator } from '../../apps/coordinator/src/testing/child-coordinator';
import {
  computed,
  expect,
  meshFormed,
  openVolunteer,
  outsideNamespace,
  results,
  seedTableJob,
  swarmConnections,
  swarmPeers,
  test,
  throttle,
} from './support';

test.skip(outsideNamespace() !== null, outsideNamespace() ?? '');

/** 60 s, as the issue asks; BRICOLAGE_OUTAGE_MS shortens it while working on this test. */
const OUTAGE_MS = Number(process.env.BRICOLAGE_OUTAGE_MS ?? 60_000);

const snapshot = (page: Page): Promise<TabSnapshot> =>
  page.evaluate(() => (window.bricolagePage as NonNullable<typeof window.bricolagePage>).snapshot());
const heldComputed = async (page: Page) =>
  Number((await page.getByTestId('swarm-held').getAttribute('data-computed')) ?? 0);

test('the coordinator is killed for 60 s mid-run and restarted: every computed result is delivered once, and the swarm view stays up', async ({
  browser,
  webDist,
}) => {
  test.setTimeout(OUTAGE_MS + 240_000);
  void webDist; // built: the child coordinator serves apps/web/dist
  const dataDir = await mkdtemp(join(tmpdir(), 'bricolage-outage-'));
  let coordinator = await ChildCoordinator.start({ dataDir });
  try {
    const port = Number(new URL(coordinator.url).port);
    const operator = readFileSync(join(dataDir, 'operator-token'), 'utf8').trim();
    const seeded = await seedTableJob(coordinator.url, operator, { units: 4000, leaseSeconds: 600 });
    const volunteers = await Promise.all(
      ['a', 'b', 'c'].map((name) => openVolunteer(browser, coordinator.url, seeded.project, { name })),
    );
    const pages = volunteers.map((v) => v.page);
    for (const page of pages) await throttle(page, 30);
    await Promise.all(pages.map((page) => page.getByRole('button', { name: 'Start' }).click()));
    await meshFormed(pages);
    for (const page of pages) await expect.poll(() => computed(page), { timeout: 60_000 }).toBeGreaterThan(1);

    await coordinator.child.kill();
    const killedAt = Date.now();
    const atKill = await Promise.all(pages.map(computed));
    let fewestPeers = Number.POSITIVE_INFINITY;
    let fewestConnections = Number.POSITIVE_INFINITY;
    let waitingInRoom = 0;
    // Sampled every 2 s for the whole outage: what each page shows of its swarm.
    await expect
      .poll(
        async () => {
          for (const page of pages) {
            fewestPeers = Math.min(fewestPeers, await swarmPeers(page));
            fewestConnections = Math.min(fewestConnections, await swarmConnections(page));
            waitingInRoom = Math.max(waitingInRoom, await heldComputed(page));
          }
          return Date.now() - killedAt;
        },
        { timeout: OUTAGE_MS + 30_000, intervals: [2000] },
      )
      .toBeGreaterThanOrEqual(OUTAGE_MS);
    for (const page of pages) await expect(page.getByTestId('phase')).toHaveText('Coordinator unreachable');
    const duringOutage = await Promise.all(pages.map(computed));
    const outboxes = await Promise.all(pages.map(snapshot));
    // The swarm view stayed up: every page saw all three volunteers for the whole outage. Each kept at least one
    // direct connection; a second one may be lost meanwhile (on this loaded machine ICE's consent checks dropped
    // one in 2 runs of 6) and cannot be re-made without signaling until the coordinator is back: presence then
    // comes through the remaining peer, which is what a mesh is for.
    expect(fewestPeers).toBe(3);
    expect(fewestConnections).toBeGreaterThanOrEqual(1);
    console.log(`outage: fewest direct connections on a page ${fewestConnections} of 2`);
    // They computed what they held, kept it, and told the room so.
    expect(duringOutage.reduce((a, b) => a + b, 0)).toBeGreaterThan(atKill.reduce((a, b) => a + b, 0));
    expect(outboxes.reduce((n, s) => n + s.outbox, 0)).toBeGreaterThan(0);
    expect(waitingInRoom).toBeGreaterThan(0);

    // What each page had computed when the coordinator came back: all of it must be delivered while the pages go
    // on computing. (Not "the outbox is empty": a page still computing has fresh results waiting at most moments.)
    const beforeRestart = (await Promise.all(pages.map(snapshot))).map((t) => t.computed);
    coordinator = await ChildCoordinator.start({ dataDir, port });
    for (const [i, page] of pages.entries()) {
      await expect(page.getByTestId('reachability')).toHaveText('reachable', { timeout: 30_000 });
      await expect
        .poll(
          async () => {
            const tab = await snapshot(page);
            return tab.accepted + tab.repeated;
          },
          { timeout: 60_000 },
        )
        .toBeGreaterThanOrEqual(beforeRestart[i] as number);
    }
    // Stop: the work unit in hand finishes and is delivered too; what was leased ahead and never started expires.
    for (const page of pages) await page.getByRole('button', { name: 'Stop' }).click();
    for (const page of pages) {
      await expect(page.getByTestId('phase')).toHaveText('Stopped', { timeout: 60_000 });
      await expect.poll(async () => (await snapshot(page)).outbox, { timeout: 60_000 }).toBe(0);
    }

    const tabs = await Promise.all(pages.map(snapshot));
    const lines = await results(coordinator.url, seeded.token, seeded.job);
    const computedInAll = tabs.reduce((n, t) => n + t.computed, 0);
    // A result whose acknowledgement the kill cut off is sent again and answered as a repeat: not counted twice.
    for (const tab of tabs) {
      expect(tab).toMatchObject({ failed: 0, dropped: 0, outbox: 0 });
      expect(tab.accepted + tab.repeated).toBe(tab.computed);
    }
    // Every result computed is a validated unit, each unit once, each credited once in the log.
    expect(lines).toHaveLength(computedInAll);
    expect(new Set(lines.map((l) => l.workUnit)).size).toBe(lines.length);
    const head = (await (await fetch(coordinator.url + API.treeHead)).json()) as { head: { size: number } };
    expect(head.head.size).toBe(computedInAll);
    const credited: string[] = [];
    for (let start = 0; start < head.head.size; start += 1000) {
      const page = await fetch(`${coordinator.url}${API.entries}?start=${start}&end=${start + 1000}`);
      const { entries } = (await page.json()) as { entries: { body: { workUnit: string } }[] };
      credited.push(...entries.map((e) => e.body.workUnit));
    }
    expect(new Set(credited).size).toBe(computedInAll);
    for (const v of volunteers) await v.context.close();
  } finally {
    await coordinator.child.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});
