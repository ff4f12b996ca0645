// Who may frame what: a host origin not on the project's list gets no offer and a refused frame, a frame that
// claims another host than the page it is in does nothing, and the volunteer page refuses to be framed at all.
import { expect, hostPage, isVolunteerRequest, test } from './support';

test('a host origin not on the project’s list gets no offer, and a frame it forges is refused', async ({
  page,
  startEmbedding,
  startHost,
}) => {
  const { grid, host: listed } = await startEmbedding({ units: 1 });
  const other = await startHost();
  const refusals: string[] = [];
  page.on('console', (m) => {
    if (/frame-ancestors/.test(m.text())) refusals.push(m.text());
  });

  await page.goto(other.page('/article', hostPage(grid)));
  const card = page.locator('bricolage-widget');
  await expect(card).toContainText('has not allowed this site to embed it');
  await expect(card.getByRole('button')).toBeHidden();

  // A project id this coordinator does not have (a typo on the host's page) is said as such, not as a network fault.
  const typo = hostPage(grid).replace(`data-project="${grid.project}"`, 'data-project="prj_0000000000000000"');
  await page.goto(other.page('/typo', typo));
  await expect(card).toContainText('This coordinator has no project "prj_0000000000000000"');
  await expect(card.getByRole('button')).toBeHidden();

  // The same page framing the widget without widget.js: the browser refuses to render it.
  const frameUrl = `${grid.url}/widget/frame?project=${grid.project}&host=${encodeURIComponent(other.origin)}`;
  await page.goto(other.page('/forged', `<!doctype html><title>forged</title><iframe src="${frameUrl}"></iframe>`));
  await expect.poll(() => page.frames()[1]?.url()).toBe('chrome-error://chromewebdata/');
  await expect.poll(() => refusals.length).toBeGreaterThan(0);
  expect(refusals[0]).toContain(`frame-ancestors ${listed.origin}`);
  // Served, but never run: not one of its scripts was fetched, nothing asked for work.
  expect(grid.log.some((r) => r.path === '/widget/frame')).toBe(true);
  expect(grid.log.filter((r) => r.path.startsWith('/assets/'))).toEqual([]);
  expect(grid.log.filter(isVolunteerRequest)).toEqual([]);
});

test('a frame inside another page than the host it names does nothing', async ({
  page,
  startWidgetGrid,
  startHost,
}) => {
  const grid = await startWidgetGrid({ units: 1 });
  const a = await startHost();
  const b = await startHost();
  await grid.setOrigins([a.origin, b.origin]);
  // Page on A frames the widget saying it is B (both listed, so frame-ancestors lets it through).
  const lying = `${grid.url}/widget/frame?project=${grid.project}&host=${encodeURIComponent(b.origin)}`;
  await page.goto(a.page('/lying', `<!doctype html><title>lying</title><iframe src="${lying}"></iframe>`));
  const frame = page.frameLocator('iframe');
  await expect(frame.locator('body')).toContainText(`inside ${a.origin}, not ${b.origin}`);
  await expect(frame.getByRole('button')).toHaveCount(0);
  expect(grid.log.filter(isVolunteerRequest)).toEqual([]);
  expect(grid.log.map((r) => r.path)).not.toContain('/.well-known/bricolage.json');
});

test('the volunteer page refuses to be framed', async ({ page, startEmbedding }) => {
  const { grid, host } = await startEmbedding({ units: 1 });
  await page.goto(host.page('/frames-the-page', `<!doctype html><title>x</title><iframe src="${grid.url}/"></iframe>`));
  await expect.poll(() => page.frames()[1]?.url()).toBe('chrome-error://chromewebdata/');
  expect(grid.log.filter((r) => r.path.startsWith('/assets/'))).toEqual([]);
});
