// A host page that tries to get around the reader: to start the frame without their yes, to make its card's
// button "clicked" by script, to read the frame, to have a third party talk to it, to fake the frame's status, or
// to have the reader press Start unknowingly behind a translucent card. Each attempt is refused.
import {
  expect,
  frameOf,
  hostEvents,
  hostMessages,
  hostPage,
  isVolunteerRequest,
  lastStatus,
  optIn,
  test,
  watchHost,
  widgetFrame,
} from './support';

test('a host that frames the widget itself and posts start gets a refusal, and nothing runs', async ({
  page,
  startEmbedding,
}) => {
  const { grid, host } = await startEmbedding({ units: 20 });
  await watchHost(page);
  const src = `${grid.url}/widget/frame?project=${grid.project}&host=${encodeURIComponent(host.origin)}`;
  await page.goto(
    host.page('/sneaky', `<!doctype html><title>sneaky</title><iframe src="${src}" width="500" height="400"></iframe>`),
  );
  const frame = page.frameLocator('iframe');
  await expect(frame.getByRole('button', { name: 'Start contributing' })).toBeEnabled();
  await expect.poll(async () => (await hostMessages(page)).length).toBeGreaterThan(0);

  await page.evaluate((origin) => {
    const target = document.querySelector('iframe')?.contentWindow;
    target?.postMessage({ type: 'bricolage:start' }, origin);
    // And with a wildcard target, in case the frame is less careful about where it listens than we are.
    target?.postMessage({ type: 'bricolage:start' }, '*');
  }, grid.url);
  await expect
    .poll(async () =>
      (await hostMessages(page)).filter((m) => (m.data as { type?: string }).type === 'bricolage:refused'),
    )
    .toHaveLength(2);
  const refused = (await hostMessages(page)).find((m) => (m.data as { type?: string }).type === 'bricolage:refused');
  expect(refused?.data).toEqual({
    type: 'bricolage:refused',
    command: 'bricolage:start',
    reason: 'the reader has not agreed to compute on this site',
  });
  await expect(frame.getByRole('button', { name: 'Start contributing' })).toBeVisible();
  expect(grid.log.filter(isVolunteerRequest)).toEqual([]);
});

test('a host cannot start again what the reader stopped; only the reader’s Start again does', async ({
  page,
  startEmbedding,
}) => {
  const { grid, host } = await startEmbedding();
  await watchHost(page);
  const frame = await optIn(page, host.page('/article', hostPage(grid)));
  await frame.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect.poll(async () => (await lastStatus(page))?.state).toBe('stopped');
  const leasesThen = grid.log.filter((r) => r.path === '/v1/volunteer/lease').length;

  await page.evaluate(() => (document.querySelector('bricolage-widget') as unknown as { start(): void }).start());
  await expect
    .poll(async () => (await hostEvents(page)).filter((e) => e.type === 'bricolage:refused'))
    .toEqual([
      expect.objectContaining({
        command: 'bricolage:start',
        reason: 'the reader stopped computing here; only they can start it again',
      }),
    ]);
  expect((await lastStatus(page))?.state).toBe('stopped');
  expect(grid.log.filter((r) => r.path === '/v1/volunteer/lease')).toHaveLength(leasesThen);

  await frame.getByRole('button', { name: 'Start again' }).click();
  await expect(frame.getByTestId('widget-state')).toHaveText(/Computing|No work right now/);
});

test('a click the host’s script makes on the card opens nothing', async ({ page, startEmbedding }) => {
  const { grid, host } = await startEmbedding({ units: 1 });
  await page.goto(host.page('/article', hostPage(grid)));
  const offer = page.locator('bricolage-widget').getByRole('button', { name: 'Contribute while I read…' });
  await expect(offer).toBeVisible();
  await page.evaluate(() => {
    const button = document.querySelector('bricolage-widget')?.shadowRoot?.querySelector('button');
    button?.click();
    button?.dispatchEvent(new MouseEvent('click', { bubbles: true }));
  });
  // Both clicks were dispatched synchronously: had either counted, the frame would be in the DOM now.
  await expect(page.locator('bricolage-widget iframe')).toHaveCount(0);
  expect(grid.log.map((r) => r.path)).not.toContain('/widget/frame');
  expect(grid.log.filter(isVolunteerRequest)).toEqual([]);
});

test('the host cannot read the frame, and a third party on its page can neither command the frame nor fake its status', async ({
  page,
  startEmbedding,
  startHost,
}) => {
  const { grid, host } = await startEmbedding();
  const third = await startHost();
  await watchHost(page);
  third.page('/ad', '<!doctype html><title>an ad</title><p>an ad</p>');
  // Another origin again (neither the host's nor the coordinator's), which the host's CSP lets it frame.
  const adOrigin = third.origin.replace('localhost', '127.0.0.1');
  const frame = await optIn(
    page,
    host.page('/article', hostPage(grid, { after: `<iframe src="${adOrigin}/ad" title="ad"></iframe>` })),
  );
  await frame.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect(frame.getByTestId('widget-state')).toHaveText('Stopped');

  // Reading the frame: its document, its storage and its globals are the coordinator's origin's, not the host's.
  const reads = await page.evaluate(() => {
    const win = document.querySelector('bricolage-widget')?.shadowRoot?.querySelector('iframe')?.contentWindow;
    const attempt = (read: () => unknown) => {
      try {
        return `read: ${String(read())}`;
      } catch (error) {
        return (error as Error).name;
      }
    };
    return [
      attempt(() => win?.document.body.innerHTML),
      attempt(() => win?.localStorage.length),
      attempt(() => (win as unknown as { indexedDB: IDBFactory }).indexedDB),
      attempt(() => (win as unknown as Record<string, unknown>).bricolagePage),
    ];
  });
  expect(reads).toEqual(['SecurityError', 'SecurityError', 'SecurityError', 'SecurityError']);

  // A third party's frame on the host page (an ad) posts a fake status to the host page.
  const ad = page.frames().find((f) => f.url().startsWith(adOrigin));
  if (!ad) throw new Error('no third-party frame');
  const eventsBefore = (await hostEvents(page)).length;
  await ad.evaluate(() => {
    const fake = {
      type: 'bricolage:status',
      state: 'computing',
      pauseReason: null,
      computed: 999,
      credited: 9,
      credit: 9,
      remembered: true,
    };
    window.parent.postMessage(fake, '*');
  });
  // The host page received it (no one can stop a post to it); widget.js, listening on the same event after the
  // test's recorder, did not pass it on as the widget's status.
  await expect
    .poll(async () => (await hostMessages(page)).filter((m) => (m.data as { computed?: number }).computed === 999))
    .toHaveLength(1);
  expect((await hostEvents(page)).slice(eventsBefore).filter((e) => e.computed === 999)).toEqual([]);
  await expect(frame.getByTestId('widget-state')).toHaveText('Stopped');

  // The ad posts a start to the widget's frame, on a page where it can reach it (widget.js keeps the frame in a
  // shadow root, out of window.frames; a host framing it plainly does not).
  const src = `${grid.url}/widget/frame?project=${grid.project}&host=${encodeURIComponent(host.origin)}`;
  await page.goto(
    host.page(
      '/plain',
      `<!doctype html><title>plain</title><iframe src="${src}" width="500" height="400"></iframe><iframe src="${adOrigin}/ad"></iframe>`,
    ),
  );
  const plain = page.frameLocator('iframe').first();
  await plain.getByRole('button', { name: 'Start contributing' }).click();
  await expect(plain.getByTestId('widget-state')).toHaveText(/Computing|No work right now/);
  // Stopped by the host (a Stop of the reader's own is theirs to undo, and no one else's: the test above).
  await page.evaluate(
    (coordinator) => window.frames[0]?.postMessage({ type: 'bricolage:stop' }, coordinator),
    grid.url,
  );
  await expect(plain.getByTestId('widget-state')).toHaveText('Stopped');
  const leasesBefore = grid.log.filter((r) => r.path === '/v1/volunteer/lease').length;
  const adAgain = page.frames().find((f) => f.url().startsWith(adOrigin));
  await adAgain?.evaluate(
    (coordinator) => window.parent.frames[0]?.postMessage({ type: 'bricolage:start' }, coordinator),
    grid.url,
  );
  const widget = await frameOf(page, grid);
  // The frame counts the messages it ignores: once it has seen the ad's start, what it did with it is settled.
  await expect.poll(() => widget.evaluate(() => document.documentElement.dataset.ignoredMessages)).toBe('1');
  await expect(plain.getByTestId('widget-state')).toHaveText('Stopped');
  expect(grid.log.filter((r) => r.path === '/v1/volunteer/lease').length).toBe(leasesBefore);
  // The same command from the host page itself is obeyed: the reader said yes here.
  await page.evaluate(
    (coordinator) => window.frames[0]?.postMessage({ type: 'bricolage:start' }, coordinator),
    grid.url,
  );
  await expect(plain.getByTestId('widget-state')).toHaveText(/Computing|No work right now/);
});

test('a translucent card cannot be used to have the reader press Start unknowingly', async ({
  page,
  startEmbedding,
}) => {
  const { grid, host } = await startEmbedding({ units: 1 });
  await page.goto(host.page('/article', hostPage(grid)));
  await page.locator('bricolage-widget').getByRole('button', { name: 'Contribute while I read…' }).click();
  const start = widgetFrame(page).getByRole('button', { name: 'Start contributing' });
  await expect(start).toBeEnabled();
  // The host fades the card almost away, as a clickjacking page would under a decoy button.
  await page.evaluate(() => {
    (document.querySelector('bricolage-widget') as HTMLElement).style.opacity = '0.05';
  });
  await expect(start).toBeDisabled();
  const box = await start.boundingBox();
  if (!box) throw new Error('Start has no box');
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await expect(start).toBeVisible();
  expect(grid.log.filter(isVolunteerRequest)).toEqual([]);
  // Shown plainly again, it can be pressed.
  await page.evaluate(() => {
    (document.querySelector('bricolage-widget') as HTMLElement).style.opacity = '';
  });
  await expect(start).toBeEnabled();
});

test('nor to have the reader press Start again, undoing their Stop, unknowingly', async ({ page, startEmbedding }) => {
  const { grid, host } = await startEmbedding();
  await watchHost(page);
  const frame = await optIn(page, host.page('/article', hostPage(grid)));
  await frame.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect.poll(async () => (await lastStatus(page))?.state).toBe('stopped');
  const again = frame.getByRole('button', { name: 'Start again' });
  await expect(again).toBeEnabled();
  const leasesThen = grid.log.filter((r) => r.path === '/v1/volunteer/lease').length;
  const eventsThen = (await hostEvents(page)).length;

  await page.evaluate(() => {
    (document.querySelector('bricolage-widget') as HTMLElement).style.opacity = '0.05';
  });
  await expect(again).toBeDisabled();
  const box = await again.boundingBox();
  if (!box) throw new Error('Start again has no box');
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  // Shown plainly again (the frame sees it at its next report, 100 ms or more later), it can be pressed; by then a
  // start the click had made would have been told to the host.
  await page.evaluate(() => {
    (document.querySelector('bricolage-widget') as HTMLElement).style.opacity = '';
  });
  await expect(again).toBeEnabled();
  const since = (await hostEvents(page)).slice(eventsThen).filter((e) => e.type === 'bricolage:status');
  expect(since.map((e) => e.state).filter((s) => s !== 'stopped')).toEqual([]);
  await expect(frame.getByTestId('widget-state')).toHaveText('Stopped');
  expect(grid.log.filter((r) => r.path === '/v1/volunteer/lease')).toHaveLength(leasesThen);

  await again.click();
  await expect(frame.getByTestId('widget-state')).toHaveText(/Computing|No work right now/);
});
