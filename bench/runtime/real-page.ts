// `npm run bench:runtime:page`: the short ONNX units on the real volunteer page (apps/web, built), not on the
// harness page bench:runtime drives: Start clicked as a volunteer does, every unit validated at once (quorum 1),
// and the rate read from the coordinator's counts over a steady window. The difference between the two rates is
// what the page adds per unit beyond the pipeline (its receipts, its view, its peers). `--profile` profiles its
// main thread over the window (profile.ts); `--json` ends with one line of figures.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCoordinator } from '@bricolage/coordinator';
import { cnn, physics } from '@bricolage/workloads';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../e2e/support/chromium';
import { Researcher } from '../../e2e/support/grid';
import { startProfile } from './profile';
import { shortOnnxWindows } from './windows';

const WEB_DIST = join(import.meta.dirname, '../../apps/web/dist');
const JSON_OUTPUT = process.argv.includes('--json');
const PROFILE = process.argv.includes('--profile');
const log = (line: string) => (JSON_OUTPUT ? console.error(line) : console.log(line));

/** The same jobs and windows as bench:runtime --quick: thousands of half-millisecond units, or 10-20 ms ones. */
const WINDOWS = shortOnnxWindows(true);
const WORKLOADS = [
  { name: 'cnn', workload: cnn, ...WINDOWS.cnn },
  { name: 'physics', workload: physics, ...WINDOWS.physics },
] as const;

async function main(): Promise<void> {
  if (!existsSync(join(WEB_DIST, 'index.html')))
    throw new Error('build the page first: npm run build -w @bricolage/web');
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-page-'));
  const coordinator = await startCoordinator({ dataDir, webRoot: WEB_DIST, port: 0, log: () => undefined });
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const figures: Record<string, { validated_per_s: number }> = {};
  try {
    for (const w of WORKLOADS) {
      const { token } = await coordinator.createProject(`bench ${w.name}`);
      const researcher = new Researcher(coordinator.url, token);
      const job = await researcher.createJob(await w.workload.job({ workUnits: 1 }), {
        name: `bench ${w.name}`,
        redundancy: { minQuorum: 1, maxTotalResults: 2, maxErrorResults: 1, homogeneous: false },
        adaptive: { enabled: false, trustAfter: 10, spotCheckRate: 0.1 },
        knownAnswerRate: 0,
      });
      await researcher.addWorkUnits(job, [...w.workload.workUnits({ workUnits: w.units, seed: 3 })]);
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await page.goto(`${coordinator.url}/index.html`);
        await page.getByRole('button', { name: 'Start' }).click();
        const validated = async () => (await researcher.progress(job)).counts.validated;
        const reach = async (n: number) => {
          const deadline = Date.now() + 300_000;
          while ((await validated()) < n) {
            if (Date.now() > deadline) throw new Error(`${w.name}: fewer than ${n} units validated in 5 minutes`);
            await new Promise((r) => setTimeout(r, 100));
          }
        };
        await reach(w.warm);
        const profiler = PROFILE ? await startProfile(page) : null;
        const [t0, n0] = [Date.now(), await validated()];
        await reach(w.warm + w.measure);
        const [t1, n1] = [Date.now(), await validated()];
        const rate = ((n1 - n0) * 1000) / (t1 - t0);
        log(`${w.name}: ${rate.toFixed(0)} units validated/s on the real page, over ${n1 - n0} units`);
        figures[w.name] = { validated_per_s: rate };
        if (profiler) log(await profiler.stop(`page-${w.name}`));
      } finally {
        await context.close();
        await researcher.cancel(job);
      }
    }
  } finally {
    await browser.close();
    await coordinator.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  if (JSON_OUTPUT) console.log(JSON.stringify({ load_average: loadavg()[0], ...figures }));
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  process.exit(1);
});
