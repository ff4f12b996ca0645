// Volunteers that see each other, over real WebRTC between separate browser contexts: three pages form a mesh;
// a 5 MB job asset is served to two of them by the third, so the coordinator's blob endpoint is hit once for
// it, not three times; onnxruntime's own .wasm (≈ 14 MB) likewise, for an ONNX job; and a peer serving corrupted
// chunks is caught, dropped and reported while the asset still arrives intact. The kernel's results are checked against the table in Node: a byte wrong anywhere would show.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API, fromBase64 } from '@bricolage/protocol';
import { OrtWasmFiles } from '@bricolage/protocol/peer';
import type { Page } from '@playwright/test';
import { expectAccessible } from '../support/axe';
import {
  bytesFromPeers,
  bytesServed,
  computed,
  expect,
  meshFormed,
  openVolunteer,
  outsideNamespace,
  results,
  seedOnnxJob,
  seedTableJob,
  start,
  TABLE_BYTES,
  table,
  tableInput,
  tableReference,
  test,
  throttle,
} from './support';

test.skip(outsideNamespace() !== null, outsideNamespace() ?? '');

/** Every result the coordinator holds is what the kernel gives with the true table; how many there are. */
async function allCorrect(url: string, token: string, job: string): Promise<number> {
  const bytes = table();
  const lines = await results(url, token, job);
  for (const line of lines) {
    const unit = Number(line.tag.replace('unit-', ''));
    expect(Buffer.from(fromBase64(line.output)).equals(Buffer.from(tableReference(tableInput(unit), bytes)))).toBe(
      true,
    );
  }
  return lines.length;
}

test('three pages form a WebRTC mesh, and one serves a 5 MB asset to the other two: the coordinator sends it once', async ({
  browser,
  grid,
}) => {
  const { coordinator, traffic } = grid;
  const seeded = await seedTableJob(coordinator.url, coordinator.operator.token, { units: 400 });
  const tablePath = API.blob(seeded.tableHash);
  const volunteers = await Promise.all(
    ['a', 'b', 'c'].map((name) => openVolunteer(browser, coordinator.url, seeded.project, { name })),
  );
  const pages = volunteers.map((v) => v.page) as [Page, Page, Page];
  // This grid lets volunteers meet, as its discovery document says: the footer tells the volunteer so.
  await expect(pages[0].getByTestId('footer-peers')).toContainText(
    'From Start to Stop it also connects directly (WebRTC) to other volunteers',
  );

  // The first volunteer gets the table from the coordinator, and then holds it for its peers; it computes slowly,
  // so that there is work left for the others when they come.
  await throttle(pages[0], 10);
  await start(pages[0]);
  await expect.poll(() => computed(pages[0]), { timeout: 60_000 }).toBeGreaterThan(0);
  expect(traffic.count('GET', tablePath)).toBe(1);

  await Promise.all([start(pages[1]), start(pages[2])]);
  await meshFormed(pages);
  for (const page of pages.slice(1)) {
    await expect.poll(() => computed(page), { timeout: 60_000 }).toBeGreaterThan(0);
    await expect.poll(() => bytesFromPeers(page), { timeout: 30_000 }).toBeGreaterThanOrEqual(TABLE_BYTES);
  }
  // Each page shows its swarm's figures once its swarm tells its view, which need not be by the time its units
  // compute or another page shows what it received (CI, 2026-12-01: the served figure was not there yet when read once).
  await expect.poll(() => bytesServed(pages[0]), { timeout: 30_000 }).toBeGreaterThanOrEqual(TABLE_BYTES);
  // Once, for three volunteers; their manifests (a few KB each) came from the coordinator.
  expect(traffic.count('GET', tablePath)).toBe(1);
  expect(traffic.count('GET', API.blobManifest(seeded.tableHash))).toBeGreaterThanOrEqual(1);

  // Each page shows the three volunteers under their own keys, each proven by its tab's signature, not taken on its word.
  const keys = await Promise.all(
    pages.map(async (page) => (await page.evaluate(() => window.bricolagePage?.snapshot()))?.volunteer ?? null),
  );
  const shown = keys.map((key) => (key ? `${key.slice(0, 6)}…${key.slice(-4)}` : 'no key'));
  for (const page of pages) {
    const proven = page.locator('[data-testid="swarm-peer"] td[data-proven="true"]');
    await expect(proven).toHaveCount(3, { timeout: 30_000 });
    const rows = (await proven.allTextContents()).map((text) => text.replace(/\s*you$/, '').trim());
    expect(rows.sort()).toEqual([...shown].sort());
  }

  // Results computed with the table from peers are right, to the bit.
  expect(await allCorrect(coordinator.url, seeded.token, seeded.job)).toBeGreaterThanOrEqual(3);

  // The Peers panel: a review artefact, and no serious accessibility problem in it.
  await pages[1].getByTestId('swarm').screenshot({
    path: join(dirname(fileURLToPath(import.meta.url)), '__screenshots__', 'peers.png'),
    animations: 'disabled',
  });
  await expectAccessible(pages[1], 'peers');
  for (const v of volunteers) await v.context.close();
});

test('a peer that serves corrupted chunks is dropped and reported, and the asset still arrives intact', async ({
  browser,
  grid,
}) => {
  const { coordinator, traffic } = grid;
  const seeded = await seedTableJob(coordinator.url, coordinator.operator.token, { units: 400 });
  const tablePath = API.blob(seeded.tableHash);
  const honest = await openVolunteer(browser, coordinator.url, seeded.project, { name: 'honest' });
  // The liar runs the real page; the test flips the last byte of every chunk it sends on the blob channel.
  const liar = await openVolunteer(browser, coordinator.url, seeded.project, {
    name: 'liar',
    initScript: () => {
      const send = RTCDataChannel.prototype.send;
      RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: never) {
        const bytes = data as unknown;
        if (this.label === 'bricolage-blobs' && bytes instanceof Uint8Array && bytes.length > 1024) {
          const bad = bytes.slice();
          bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 0xff;
          return send.call(this, bad as never);
        }
        return send.call(this, data);
      };
    },
  });
  const victim = await openVolunteer(browser, coordinator.url, seeded.project, { name: 'victim' });

  for (const v of [honest, liar]) await throttle(v.page, 10);
  await start(honest.page);
  await expect.poll(() => computed(honest.page), { timeout: 60_000 }).toBeGreaterThan(0);
  await start(liar.page);
  await expect.poll(() => computed(liar.page), { timeout: 60_000 }).toBeGreaterThan(0);
  // Both now say they hold the table; the victim asks both for chunks.
  await start(victim.page);
  await expect.poll(() => computed(victim.page), { timeout: 60_000 }).toBeGreaterThan(0);
  const dropped = victim.page.getByTestId('dropped-peers');
  await expect(dropped).toHaveAttribute('data-count', '1');
  await expect(dropped).toContainText('wrong chunk');
  // Held against the liar's key, not pinned on the row of the id its hello claimed (any peer can claim any id).
  await expect(victim.page.locator('[data-testid="swarm-peer"] .pill.bad')).toHaveCount(0);
  await expect.poll(() => bytesFromPeers(victim.page), { timeout: 30_000 }).toBeGreaterThanOrEqual(TABLE_BYTES);
  // The honest peer served the table twice over; the coordinator sent it once in all.
  expect(traffic.count('GET', tablePath)).toBe(1);

  expect(await allCorrect(coordinator.url, seeded.token, seeded.job)).toBeGreaterThanOrEqual(3);
  for (const v of [honest, liar, victim]) await v.context.close();
});

test("onnxruntime's .wasm goes peer to peer like any asset: for three pages running an ONNX job, the coordinator sends it once", async ({
  browser,
  grid,
}) => {
  const { coordinator, traffic } = grid;
  const published = OrtWasmFiles.parse(await (await fetch(coordinator.url + API.ortWasm)).json());
  const wasm = published.files.find((f) => f.name === 'ort-wasm-simd-threaded.wasm');
  expect(wasm).toBeDefined();
  const wasmPath = API.blob(wasm!.hash);
  const seeded = await seedOnnxJob(coordinator.url, coordinator.operator.token, 2000);
  const volunteers = await Promise.all(
    ['a', 'b', 'c'].map((name) => openVolunteer(browser, coordinator.url, seeded.project, { name })),
  );
  const pages = volunteers.map((v) => v.page) as [Page, Page, Page];

  await throttle(pages[0], 10);
  await start(pages[0]);
  await expect.poll(() => computed(pages[0]), { timeout: 60_000 }).toBeGreaterThan(0);
  expect(traffic.count('GET', wasmPath)).toBe(1);

  await Promise.all([start(pages[1]), start(pages[2])]);
  await meshFormed(pages);
  for (const page of pages.slice(1)) {
    await expect.poll(() => computed(page), { timeout: 60_000 }).toBeGreaterThan(0);
    // The figure shows once the page's swarm view catches up, which need not be by the time its first unit is done
    // (CI, 2026-12-01: read once, it was not there yet, though the peer had served the .wasm to both pages).
    await expect
      .poll(() => bytesFromPeers(page), { timeout: 30_000 })
      .toBeGreaterThanOrEqual(wasm!.size)
      .catch(async (e: Error) => {
        // Where the page says each asset came from, and when: what a failure here needs to be understood.
        const fetched = await page
          .getByRole('heading', { name: 'Job assets fetched' })
          .locator('xpath=..')
          .innerText({ timeout: 1000 })
          .catch(() => null);
        throw new Error(`${e.message}\n${fetched}`);
      });
  }
  expect(traffic.count('GET', wasmPath)).toBe(1);
  // No worker fetched the .wasm by its URL among the page's static files.
  expect(traffic.requests.filter((r) => r.path.startsWith('/assets/ort-wasm') && r.path.endsWith('.wasm'))).toEqual([]);
  for (const v of volunteers) await v.context.close();
});
