// The demo's picture on the volunteer page, in real Chromium: a job that publishes its results shows the tiles
// volunteers agreed on, read from the coordinator, and this tab's own tiles the moment it computes them,
// outlined, before anyone confirms them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Coordinator } from '@bricolage/coordinator';
import { SimVolunteer } from '@bricolage/coordinator/testing';
import type { JobId } from '@bricolage/protocol';
import { type MandelbrotParams, mandelbrot } from '@bricolage/workloads';
import { expect, test } from '@playwright/test';
import { expectAccessible } from '../support/axe';
import { buildWeb, openPage, WEB_DIST } from './support';

/** The whole set in 8 × 6 tiles, quick ones: the test is about the page, not the kernel. */
const FRAME: MandelbrotParams = { width: 512, height: 384, centerX: -0.55, centerY: 0, span: 2.8, maxIter: 48 };

let dir: string;
let coordinator: Coordinator;
let job: string;

test.beforeAll(async () => {
  await buildWeb();
});

test.beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bricolage-picture-'));
  const { seedDemo, startCoordinator } = await import('@bricolage/coordinator');
  coordinator = await startCoordinator({ dataDir: join(dir, 'data'), port: 0, webRoot: WEB_DIST });
  job = (await seedDemo(coordinator, { frame: FRAME, title: 'The whole set' })).job as string;
});

test.afterEach(async () => {
  await coordinator.close();
  await rm(dir, { recursive: true, force: true });
});

test('the page shows the tiles volunteers agreed on and its own the moment it computes them, outlined', async ({
  page,
}, info) => {
  // Two other volunteers agree on 20 tiles (the demo wants two agreeing results per tile). Leases are drawn at
  // random, so the second takes every tile it can and returns only the first one's twenty; its other leases just
  // stay out, and nothing else is confirmed.
  const reference = (input: Uint8Array) => mandelbrot.reference(input);
  const first = await SimVolunteer.create(coordinator.url);
  const firsts = (await first.lease(20)).leases;
  expect(firsts).toHaveLength(20);
  for (const l of firsts) expect(l.tag).toMatch(/^mandelbrot:\d+,\d+$/);
  await first.computeAndSubmit(firsts, reference);
  const second = await SimVolunteer.create(coordinator.url);
  const units = new Set(firsts.map((l) => l.workUnit));
  const twins = (await second.lease(48)).leases.filter((l) => units.has(l.workUnit));
  expect(twins).toHaveLength(20);
  await second.computeAndSubmit(twins, reference);
  expect(await coordinator.store.results(job as JobId, 0, 100)).toHaveLength(20);

  await page.setViewportSize({ width: 1280, height: 900 });
  await openPage(page, coordinator.url);
  await expect(page.getByTestId('picture')).toHaveCount(0);
  await page.getByRole('button', { name: 'Start' }).click();
  const picture = page.getByTestId('picture');
  // Its own tiles show as soon as they are computed, though no second volunteer has confirmed them.
  await expect.poll(async () => Number(await picture.getAttribute('data-own')), { timeout: 60_000 }).toBeGreaterThan(3);
  // And the 20 the others agreed on, read from the job's published results: none of them outlined.
  const others = async () =>
    picture.evaluate((e) => Number(e.getAttribute('data-tiles')) - Number(e.getAttribute('data-own')));
  await expect.poll(others).toBe(20);
  await expect(picture.getByRole('img')).toHaveAttribute('aria-label', /computed by this tab \(outlined\)/);
  await page.getByRole('button', { name: 'Stop' }).click();
  await page.screenshot({ path: info.outputPath('picture.png'), fullPage: true });
  await expectAccessible(page, 'picture');
});
