// A reader's key whose results keep failing is held back by the coordinator (its error allowance spent), and the
// widget's card says so, and until when, instead of "No work right now" while the grid has work. The frame's results
// are turned into error results on their way to the real coordinator: a device on which every unit fails.
import { failEveryResult } from '../support/failing-device';
import { expect, hostPage, optIn, test } from './support';

test('a reader held back for its errors is told so on the card, and until when', async ({ page, startEmbedding }) => {
  const { grid, host } = await startEmbedding();
  const device = await failEveryResult(page);
  const frame = await optIn(page, host.page('/article', hostPage(grid)));
  await expect(frame.getByTestId('widget-state')).toHaveText('Held back', { timeout: 90_000 });
  await expect(frame.getByText(/^until .+: too many recent errors$/)).toBeVisible();
  expect(device.errors()).toBeGreaterThanOrEqual(2);
});
