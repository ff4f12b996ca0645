// The volunteer page under its Content-Security-Policy, in real Chromium: computing a WebAssembly job and an
// ONNX job and verifying receipts trips no violation; a page on another origin cannot frame it, yet can
// read the public log and the project list (CORS), and no researcher route.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { API } from '@bricolage/protocol';
import { expect, jobCounts, openPage, seedOnnx, seedPrimes, test } from './support';

const PORT = 18797;
const FRAMED_PORT = 18798;

/** A page on another origin, served without isolation headers (so only our own headers can stop it). */
async function auditorSite(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const page = `<!doctype html><title>auditor</title>
<iframe id="framed" src="${target}/" onload="window.__framed = true"></iframe>`;
  const server: Server = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

test('the page computes WebAssembly and ONNX work units and verifies receipts without a policy violation', async ({
  scratch,
  startGrid,
  launchProfile,
}) => {
  const grid = await startGrid({ dataDir: await scratch('csp-data'), port: PORT });
  const primes = await seedPrimes(grid, { limit: 3 * 131072, segment: 131072 });
  const cnn = await seedOnnx(grid, 'cnn', 3);
  const context = await launchProfile(await scratch('csp-profile'));
  const page = await context.newPage();
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(`console: ${m.text()}`);
  });
  await page.exposeFunction('__cspViolation', (v: string) => violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      (window as unknown as { __cspViolation(v: string): void }).__cspViolation(
        `${e.effectiveDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`,
      ),
    );
  });
  const response = await page.goto(grid.url);
  expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
  await openPage(page, grid.url);

  await page.getByRole('button', { name: 'Start' }).click();
  await expect.poll(async () => (await jobCounts(grid, primes.job)).validated, { timeout: 90_000 }).toBe(3);
  await expect.poll(async () => (await jobCounts(grid, cnn.job)).validated, { timeout: 90_000 }).toBe(3);
  await expect(page.getByTestId('receipt-count')).toHaveText(/^6 receipts/, { timeout: 30_000 });
  await page.getByRole('button', { name: 'Verify all' }).click();
  await expect(page.getByTestId('notice').last()).toContainText('All 6 receipts verified');
  expect(violations).toEqual([]);
});

test('a page on another origin cannot frame the volunteer page, but can read the public log', async ({
  scratch,
  startGrid,
  launchProfile,
}) => {
  const grid = await startGrid({ dataDir: await scratch('csp-framed-data'), port: FRAMED_PORT });
  const auditor = await auditorSite(grid.url);
  try {
    const context = await launchProfile(await scratch('csp-framed-profile'));
    const page = await context.newPage();
    await page.goto(auditor.url);
    await page.waitForFunction(() => (window as unknown as { __framed?: boolean }).__framed === true);
    // Chromium replaces a frame its frame-ancestors forbid with an error page.
    const framed = page.frames().find((f) => f !== page.mainFrame());
    expect(framed?.url()).toMatch(/^chrome-error:/);
    await expect(page.frameLocator('#framed').getByRole('button', { name: /Start/ })).toHaveCount(0);

    const read = (path: string) =>
      page.evaluate(async (url) => {
        try {
          const res = await fetch(url);
          return { status: res.status, body: await res.text() };
        } catch (e) {
          return { error: (e as Error).name };
        }
      }, grid.url + path);
    const head = await read(API.treeHead);
    expect(head).toMatchObject({ status: 200 });
    expect(JSON.parse((head as { body: string }).body)).toMatchObject({ head: { size: 0 } });
    expect(await read(API.wellKnown)).toMatchObject({ status: 200 });
    expect(await read(API.projects)).toMatchObject({ status: 200 });
    expect(await read(API.jobs)).toEqual({ error: 'TypeError' });
    expect(await read(API.bans)).toEqual({ error: 'TypeError' });
  } finally {
    await auditor.close();
  }
});
