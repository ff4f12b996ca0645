// Volunteers witness the receipt log: each page reads the log's signed tree head and announces it; every page
// checks what it hears (same size, same root; a larger head proven consistent by the coordinator). A coordinator
// that signs two different trees of the same size for two volunteers is caught, on every page; an honest one
// never raises the alarm, though the heads were compared and proven.
import { API, canonicalJson, type SignedTreeHead, sha256Hex, utf8 } from '@bricolage/protocol';
import type { Page } from '@playwright/test';
import {
  computed,
  expect,
  meshFormed,
  openVolunteer,
  outsideNamespace,
  seedTableJob,
  start,
  test,
  throttle,
} from './support';

test.skip(outsideNamespace() !== null, outsideNamespace() ?? '');

const witness = async (page: Page, name: 'data-agreements' | 'data-proofs') =>
  Number(await page.getByTestId('swarm-witness').getAttribute(name));

test('an honest coordinator never raises the alarm, though every page compared heads and checked proofs', async ({
  browser,
  grid,
}) => {
  const { coordinator } = grid;
  const seeded = await seedTableJob(coordinator.url, coordinator.operator.token, { units: 60 });
  const volunteers = await Promise.all(
    ['a', 'b', 'c'].map((name) => openVolunteer(browser, coordinator.url, seeded.project, { name })),
  );
  const pages = volunteers.map((v) => v.page);
  for (const page of pages) await throttle(page, 30);
  await Promise.all(pages.map(start));
  await meshFormed(pages);
  // The log grows as results validate: each page reads larger heads, checks the proofs, hears the others'.
  for (const page of pages) {
    await expect.poll(() => computed(page), { timeout: 60_000 }).toBeGreaterThan(1);
    await expect.poll(() => witness(page, 'data-proofs'), { timeout: 60_000 }).toBeGreaterThan(0);
    await expect.poll(() => witness(page, 'data-agreements'), { timeout: 60_000 }).toBeGreaterThan(0);
  }
  for (const page of pages) await expect(page.getByTestId('split-view')).toHaveCount(0);
  for (const v of volunteers) await v.context.close();
});

test('a coordinator that signs two different trees of the same size for two volunteers is caught by their peers', async ({
  browser,
  grid,
}) => {
  const { coordinator } = grid;
  const seeded = await seedTableJob(coordinator.url, coordinator.operator.token, { units: 5 });
  // The first volunteer computes the whole job: the log holds 5 receipts.
  const a = await openVolunteer(browser, coordinator.url, seeded.project, { name: 'a' });
  await start(a.page);
  // Its results reach the log after it has computed them (the outbox submits them): wait for the log itself.
  const logged = async () => (await coordinator.deps.log.treeHead()).head.size;
  await expect.poll(logged, { timeout: 60_000 }).toBe(seeded.units);
  await expect(a.page.getByTestId('phase')).toHaveText('No work right now', { timeout: 60_000 });
  const honest = await coordinator.deps.log.treeHead();
  expect(honest.head.size).toBe(seeded.units);

  // To the second volunteer, the coordinator shows another tree of the same size, signed with its own key.
  const head = { ...honest.head, root: await sha256Hex(utf8(`another tree of ${honest.head.size}`)) };
  const forked: SignedTreeHead = { head, signature: coordinator.deps.key.sign('treeHead', canonicalJson(head)) };
  const b = await openVolunteer(browser, coordinator.url, seeded.project, { name: 'b' });
  let forkedServed = 0;
  await b.context.route(`**${API.treeHead}`, (route) => {
    forkedServed++;
    return route.fulfill({ json: forked });
  });
  const c = await openVolunteer(browser, coordinator.url, seeded.project, { name: 'c' });
  await Promise.all([start(b.page), start(c.page)]);
  const pages = [a.page, b.page, c.page];
  await meshFormed(pages);
  expect(forkedServed).toBeGreaterThan(0);

  // Each page saw both heads (its own and its peers'), or the evidence one of them shared: each shows it.
  for (const page of pages) {
    const alarm = page.getByTestId('split-view');
    await expect(alarm).toBeVisible();
    await expect(alarm).toContainText(`Two tree heads of ${honest.head.size} receipts`);
    await expect(alarm).toContainText(honest.head.root.slice(0, 12));
    await expect(alarm).toContainText(forked.head.root.slice(0, 12));
  }
  for (const v of [a, b, c]) await v.context.close();
});
