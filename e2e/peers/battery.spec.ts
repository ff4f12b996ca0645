// A page paused on battery does nothing for the grid, peers included: it leaves its room (its peer sees it go,
// its swarm view empties) and joins it again once plugged in, over real WebRTC between two browser contexts; and a
// Stop leaves it as well.
import { fakeBatteryScript, setCharging } from '../support/battery';
import {
  expect,
  meshFormed,
  openVolunteer,
  outsideNamespace,
  seedTableJob,
  start,
  swarmPeers,
  test,
  throttle,
} from './support';

test.skip(outsideNamespace() !== null, outsideNamespace() ?? '');

test('a page on battery leaves its peer room, joins it again once plugged in, and leaves it at Stop', async ({
  browser,
  grid,
}) => {
  const { coordinator } = grid;
  const seeded = await seedTableJob(coordinator.url, coordinator.operator.token, { units: 60 });
  const a = await openVolunteer(browser, coordinator.url, seeded.project, { name: 'a', initScript: fakeBatteryScript });
  const b = await openVolunteer(browser, coordinator.url, seeded.project, { name: 'b' });
  for (const page of [a.page, b.page]) await throttle(page, 30);
  await Promise.all([start(a.page), start(b.page)]);
  await meshFormed([a.page, b.page]);

  await setCharging(a.page, false);
  await expect(a.page.getByTestId('phase')).toHaveText(/Paused/, { timeout: 30_000 });
  await expect(a.page.getByTestId('battery-pause')).toContainText('no peer connections');
  await expect(a.page.getByTestId('swarm-room')).toHaveCount(0, { timeout: 30_000 });
  await expect.poll(() => swarmPeers(b.page), { timeout: 60_000 }).toBe(1);

  await setCharging(a.page, true);
  await meshFormed([a.page, b.page]);

  // "From Start to Stop it also connects directly": a Stop leaves the room too.
  await a.page.getByRole('button', { name: 'Stop' }).click();
  await expect(a.page.getByTestId('swarm-room')).toHaveCount(0, { timeout: 30_000 });
  await expect.poll(() => swarmPeers(b.page), { timeout: 60_000 }).toBe(1);
  for (const v of [a, b]) await v.context.close();
});
