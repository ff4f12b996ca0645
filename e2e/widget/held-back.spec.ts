// A reader's key whose results keep failing is held back by the coordinator (its error allowance spent), and the
// widget's card says so, and until when, instead of "No work right now" while the grid has work. The frame's results
// are turned into error results on their way to the real coordinator: a device on which every unit fails.
import { API } from '@bricolage/protocol';
import { expect, hostPage, optIn, test } from './support';

test('a reader held back for its errors is told so on the card, and until when', async ({ page, startEmbedding }) => {
  const { grid, host } = await startEmbedding();
  let errors = 0;
  await page.route(`**${API.submit}`, async (route) => {
    const { results } = route.request().postDataJSON() as { results: { lease: string }[] };
    errors += results.length;
    const failed = results.map((r) => ({
      kind: 'error',
      lease: r.lease,
      code: 'runtime_error',
      message: 'this device fails every work unit',
    }));
    await route.continue({ postData: JSON.stringify({ results: failed }) });
  });
  const frame = await optIn(page, host.page('/article', hostPage(grid)));
  await expect(frame.getByTestId('widget-state')).toHaveText('Held back', { timeout: 90_000 });
  await expect(frame.getByText(/^until .+: too many recent errors$/)).toBeVisible();
  expect(errors).toBeGreaterThanOrEqual(2);
});
