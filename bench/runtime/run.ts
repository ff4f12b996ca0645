// Runtime benchmark (`npm run bench:runtime`, not a timed test): in headless Chromium against a real
// coordinator on loopback, per workload: work units per second and worker duty cycle in steady state,
// with and without prefetch; time from page load to the first WU computing; the WGSL kernel on the
// WebGPU adapter against its wasm twin in the same page; onnxruntime's wasm EP against its WebGPU EP.
// `--json` ends the output with one JSON line; `--quick` measures fewer work units.
import { loadavg } from 'node:os';
import type { JobSpec } from '@bricolage/protocol';
import type { WorkUnitInput } from '@bricolage/workloads';
import {
  cnn,
  decodePng,
  detectionInput,
  detectionJob,
  type GreyImage,
  lineImage,
  MANDELBROT_DEEP_ZOOM,
  mandelbrot,
  physics,
  primes,
  recognitionInputs,
  recognitionJob,
} from '@bricolage/workloads';
import { buildJob, loadOcrModels, nodeZlib, renderPage } from '@bricolage/workloads/node';
import { type Browser, chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../e2e/support/chromium';
import { type Grid, type JobBundleLike, startGrid } from '../../e2e/support/grid';
import { buildHarness } from '../../e2e/support/harness';
import { computeInPage, openHarness, type PageVolunteerStatus } from '../../e2e/support/page';
import { startProfile } from './profile';
import { startTrace } from './trace';
import { shortOnnxWindows } from './windows';

const JSON_OUTPUT = process.argv.includes('--json');
const QUICK = process.argv.includes('--quick');
/** `--only cnn,physics`: just those workloads; `--no-compare`: skip the same-WU backend comparison. */
const ONLY = (() => {
  const i = process.argv.indexOf('--only');
  return i >= 0 ? new Set((process.argv[i + 1] ?? '').split(',')) : null;
})();
const COMPARE = !process.argv.includes('--no-compare');
/** `--profile`: the page's main thread profiled over the steady window of each prefetch run (profile.ts). */
const PROFILE = process.argv.includes('--profile');
/** `--trace`: a Chromium trace of the same window, with the lease and submit requests' round trips (trace.ts). */
const TRACE = process.argv.includes('--trace');
const log = (line: string) => {
  if (!JSON_OUTPUT) console.log(line);
  else console.error(line);
};

interface BenchWorkload {
  readonly name: string;
  readonly bundle: () => Promise<JobBundleLike>;
  readonly units: () => WorkUnitInput[];
  /** Work units measured in steady state, after `warm`. */
  readonly measure: number;
  readonly warm: number;
}

const SHORT = shortOnnxWindows(QUICK);
const primesParams = { limit: 2 ** 31, segment: 2 ** 24 };
const mandelbrotParams = { ...MANDELBROT_DEEP_ZOOM, maxIter: 1024 };

const WORKLOADS: BenchWorkload[] = [
  {
    name: 'primes',
    bundle: () => buildJob(primes, primesParams),
    units: () => [...primes.workUnits(primesParams)],
    warm: 3,
    measure: QUICK ? 30 : 100,
  },
  {
    name: 'mandelbrot',
    bundle: () => buildJob(mandelbrot, mandelbrotParams),
    units: () => [...mandelbrot.workUnits(mandelbrotParams)],
    warm: 2,
    measure: QUICK ? 6 : 16,
  },
  {
    name: 'cnn',
    bundle: () => cnn.job({ workUnits: 1 }),
    units: () => [...cnn.workUnits({ workUnits: SHORT.cnn.units, seed: 3 })],
    warm: SHORT.cnn.warm,
    measure: SHORT.cnn.measure,
  },
  {
    name: 'physics',
    bundle: () => physics.job({ workUnits: 1 }),
    units: () => [...physics.workUnits({ workUnits: SHORT.physics.units, seed: 3 })],
    warm: SHORT.physics.warm,
    measure: SHORT.physics.measure,
  },
  {
    name: 'ocr-detection',
    bundle: () => detectionJob(loadOcrModels().detection, { name: 'bench' }),
    units: () => ocrPages(QUICK ? 6 : 12).map((page, i) => ({ input: detectionInput(page).input, tag: `page ${i}` })),
    warm: 1,
    measure: QUICK ? 4 : 10,
  },
  {
    name: 'ocr-recognition',
    bundle: () => recognitionJob(loadOcrModels().recognition, { name: 'bench' }),
    units: () =>
      recognitionInputs(
        ocrPages(QUICK ? 3 : 6).flatMap((page) => inkLines(page).map((box) => lineImage(page, box))),
      ).map((input, i) => ({ input, tag: `lines ${i}` })),
    warm: 1,
    measure: QUICK ? 2 : 5,
  },
];

/** Rendered pages of known text (the OCR workload's ground truth), decoded to grey. */
function ocrPages(count: number): GreyImage[] {
  return Array.from({ length: count }, (_, i) => {
    const decoded = decodePng(renderPage(18, i).png, nodeZlib, 1e8);
    if (!decoded.ok) throw new Error(decoded.error.message);
    return decoded.image;
  });
}

/**
 * The text lines of a rendered page from its ink alone (rows with dark pixels, grouped), padded: recognition
 * units for timing without running detection first. What the grid's detection finds instead is in bench:ocr.
 */
function inkLines(page: GreyImage): { x0: number; y0: number; x1: number; y1: number }[] {
  const rows: { y: number; x0: number; x1: number }[] = [];
  for (let y = 0; y < page.height; y++) {
    let [x0, x1] = [page.width, -1];
    for (let x = 0; x < page.width; x++)
      if ((page.data[y * page.width + x] as number) < 128) [x0, x1] = [Math.min(x0, x), Math.max(x1, x)];
    if (x1 >= 0) rows.push({ y, x0, x1 });
  }
  const lines: { x0: number; y0: number; x1: number; y1: number }[] = [];
  for (const r of rows) {
    const last = lines.at(-1);
    if (last && r.y - last.y1 <= 4)
      Object.assign(last, { y1: r.y, x0: Math.min(last.x0, r.x0), x1: Math.max(last.x1, r.x1) });
    else lines.push({ x0: r.x0, y0: r.y, x1: r.x1, y1: r.y });
  }
  return lines.map((l) => ({
    x0: Math.max(0, l.x0 - 6),
    y0: Math.max(0, l.y0 - 6),
    x1: Math.min(page.width, l.x1 + 7),
    y1: Math.min(page.height, l.y1 + 7),
  }));
}

interface Span {
  readonly backend: string;
  readonly startedAt: number;
  readonly endedAt: number;
}

interface PipelineFigures {
  readonly wu_per_s: number;
  readonly duty_cycle: number;
  readonly median_gap_ms: number;
  readonly max_gap_ms: number;
  readonly first_wu_ms: number | null;
  readonly backend: string;
}

/**
 * One volunteer tab opened on the coordinator's page (it starts computing on load, like a real tab);
 * steady-state figures between the `warm`-th and the (`warm` + `measure`)-th work unit, each sampled
 * just after a work unit completed so that both samples sit at the same phase of the cycle.
 */
async function pipelineRun(
  browser: Browser,
  grid: Grid,
  w: BenchWorkload,
  prefetch: boolean,
): Promise<PipelineFigures> {
  const units = w.units().slice(0, w.warm + w.measure + 4);
  const job = await grid.researcher.createJob(await w.bundle(), {
    name: `bench ${w.name} ${prefetch ? 'prefetch' : 'no prefetch'}`,
    redundancy: { minQuorum: 1, maxTotalResults: 2, maxErrorResults: 1, homogeneous: false },
    adaptive: { enabled: false, trustAfter: 10, spotCheckRate: 0.1 },
    knownAnswerRate: 0,
  });
  await grid.researcher.addWorkUnits(job, units);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${grid.url}/index.html?autostart=1&prefetch=${prefetch ? 1 : 0}`);
    // Work units as the worker ran them (its own timestamps), recorded by the page as they complete.
    const deadline = Date.now() + 300_000;
    // Only the count is read while the tab works: copying thousands of spans out ten times a second would
    // be the benchmark's own load on the page's main thread.
    const count = () =>
      page.evaluate(() => (window as unknown as { state?: { spans?: Span[] } }).state?.spans?.length ?? 0);
    const reach = async (n: number) => {
      while ((await count()) < n) {
        if (Date.now() > deadline) throw new Error(`${w.name}: fewer than ${n} work units in 5 minutes`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    let profiler: Awaited<ReturnType<typeof startProfile>> | null = null;
    let tracer: Awaited<ReturnType<typeof startTrace>> | null = null;
    if ((PROFILE || TRACE) && prefetch) {
      await reach(w.warm);
      if (PROFILE) profiler = await startProfile(page);
      if (TRACE) tracer = await startTrace(page, w.name);
    }
    await reach(w.warm + w.measure + 1);
    if (profiler) log(await profiler.stop(`${w.name}`));
    if (tracer) log(await tracer.stop());
    const spans = await page.evaluate(() => (window as unknown as { state: { spans: Span[] } }).state.spans.slice());
    const status = await page.evaluate(() =>
      (
        window as unknown as { state: { volunteer: { status(): Promise<PageVolunteerStatus> } } }
      ).state.volunteer.status(),
    );
    if (status.counts.failed > 0) log(`  ! ${w.name}: ${status.counts.failed} work units failed (${status.lastError})`);
    // Steady state: from the end of work unit `warm - 1` to the end of work unit `warm + measure - 1`.
    const steady = spans.slice(w.warm, w.warm + w.measure);
    const wall = steady.at(-1)!.endedAt - spans[w.warm - 1]!.endedAt;
    const busy = steady.reduce((n, s) => n + (s.endedAt - s.startedAt), 0);
    if (process.argv.includes('--gaps')) {
      const idle = steady.map((s, i) => ({
        i: i + w.warm,
        ms: s.startedAt - (i === 0 ? spans[w.warm - 1]! : steady[i - 1]!).endedAt,
      }));
      const worst = [...idle].sort((a, b) => b.ms - a.ms).slice(0, 8);
      log(
        `  ${w.name}: largest idle gaps (unit index: ms) ${worst.map((g) => `${g.i}: ${g.ms.toFixed(1)}`).join(', ')}`,
      );
      // Where the idle time is: a little after every unit (the worker's own step from one to the next), or in
      // the few long waits (on the page, a lease answer, the coordinator).
      const short = idle.filter((g) => g.ms < 1).reduce((n, g) => n + Math.max(0, g.ms), 0);
      const long = idle.filter((g) => g.ms >= 1).reduce((n, g) => n + g.ms, 0);
      log(
        `  ${w.name}: idle in gaps under 1 ms ${short.toFixed(0)} ms (${((100 * short) / wall).toFixed(1)} % of the window), ` +
          `in longer gaps ${long.toFixed(0)} ms (${((100 * long) / wall).toFixed(1)} %)`,
      );
      log(
        `  ${w.name}: compute per unit median ${steady
          .map((s) => s.endedAt - s.startedAt)
          .sort((a, b) => a - b)
          [Math.floor(steady.length / 2)]!.toFixed(2)} ms`,
      );
    }
    // Idle time in the worker between one work unit and the next.
    const gaps = steady
      .map((s, i) => s.startedAt - (i === 0 ? spans[w.warm - 1]! : steady[i - 1]!).endedAt)
      .sort((a, b) => a - b);
    return {
      median_gap_ms: gaps[Math.floor(gaps.length / 2)]!,
      max_gap_ms: gaps.at(-1)!,
      wu_per_s: (w.measure * 1000) / wall,
      duty_cycle: busy / wall,
      first_wu_ms: status.firstComputeMs,
      backend: [...new Set(spans.map((s) => s.backend))].join('+'),
    };
  } finally {
    await context.close();
    // Nothing of this run may be leased by the next one.
    await grid.researcher.cancel(job);
  }
}

interface BackendFigures {
  readonly [backend: string]: { readonly ms_per_wu: number; readonly wu_per_s: number } | null;
}

/** The same work unit, repeated, on each backend in one page: executor time only (upload to readback). */
async function compareBackends(
  page: Page,
  w: BenchWorkload,
  backends: readonly ('webgpu' | 'wasm' | 'onnx-wasm' | 'onnx-webgpu')[],
  repeats: number,
): Promise<BackendFigures> {
  const bundle = await w.bundle();
  const input = w.units()[0]!.input;
  const figures: Record<string, { ms_per_wu: number; wu_per_s: number } | null> = {};
  for (const backend of backends) {
    const { prepared, outcomes } = await computeInPage(
      page,
      { id: `bench_${w.name}_${backend}`, spec: bundle.request.spec as JobSpec, backend, assets: bundle.blobs },
      Array.from({ length: repeats + 1 }, () => input),
      { budgetMs: 120_000 },
    );
    const times = outcomes.slice(1).flatMap((o) => (o.ok ? [o.elapsedMs] : []));
    if (!prepared.ok || times.length === 0) {
      log(`  ! ${w.name} on ${backend}: ${prepared.message ?? outcomes.find((o) => !o.ok)?.message}`);
      figures[backend] = null;
      continue;
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    figures[backend] = { ms_per_wu: median, wu_per_s: 1000 / median };
  }
  return figures;
}

const fmt = (n: number | null | undefined, digits = 2) => (n == null ? 'n/a' : n.toFixed(digits));

async function main(): Promise<void> {
  log('building the harness page…');
  await buildHarness({ readable: PROFILE });
  const grid = await startGrid();
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const results: Record<string, unknown> = {};
  try {
    const probePage = await (await browser.newContext()).newPage();
    await openHarness(probePage, grid.url);
    const calibration = await probePage.evaluate(async () => {
      const w = window as unknown as { bricolage: typeof import('@bricolage/runtime') };
      const host = new w.bricolage.ComputeHost({ config: {} });
      try {
        return { probe: await host.probe(), report: await host.calibrate() };
      } finally {
        host.close();
      }
    });
    const { probe, report } = calibration;
    log(
      `device: ${probe.webgpu ? `${probe.webgpu.vendor}/${probe.webgpu.architecture}${probe.webgpu.isFallbackAdapter ? ' (fallback adapter)' : ''}` : 'no WebGPU'}, ` +
        `${probe.hardwareConcurrency} threads, cross-origin isolated: ${probe.crossOriginIsolated}, ORT threads ${probe.ortThreads}; ` +
        `load average ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')}`,
    );
    log(
      `calibration (${fmt(report.tookMs, 0)} ms): spin kernel ${fmt(report.wgsl.webgpuMs, 1)} ms on WebGPU, ` +
        `${fmt(report.wgsl.wasmMs, 1)} ms in wasm → WGSL jobs run on ${report.wgsl.choice}`,
    );
    results.calibration = report;

    for (const w of WORKLOADS) {
      if (ONLY && !ONLY.has(w.name)) continue;
      log(`\n${w.name}`);
      const withPrefetch = await pipelineRun(browser, grid, w, true);
      const withoutPrefetch = await pipelineRun(browser, grid, w, false);
      log(
        `  pipeline (${withPrefetch.backend}): ${fmt(withPrefetch.wu_per_s)} WU/s, duty cycle ${fmt(withPrefetch.duty_cycle, 3)} with prefetch; ` +
          `${fmt(withoutPrefetch.wu_per_s)} WU/s, duty cycle ${fmt(withoutPrefetch.duty_cycle, 3)} without`,
      );
      log(
        `  worker idle between work units: median ${fmt(withPrefetch.median_gap_ms)} ms, max ${fmt(withPrefetch.max_gap_ms)} ms with prefetch; ` +
          `median ${fmt(withoutPrefetch.median_gap_ms)} ms without`,
      );
      log(`  first WU computing ${fmt(withPrefetch.first_wu_ms, 0)} ms after page load`);
      const isOnnx = w.name === 'cnn' || w.name === 'physics' || w.name.startsWith('ocr-');
      const backends = isOnnx ? (['onnx-wasm', 'onnx-webgpu'] as const) : (['wasm', 'webgpu'] as const);
      // physics on onnxruntime's WebGPU EP over SwiftShader takes ≈ 20 s a work unit: one timed run.
      const compared = COMPARE
        ? await compareBackends(
            probePage,
            w,
            backends,
            w.name === 'physics' || w.name.startsWith('ocr-') ? 1 : QUICK ? 3 : 6,
          )
        : {};
      const [cpu, gpu] = [compared[backends[0]], compared[backends[1]]];
      const ratio = cpu && gpu ? cpu.wu_per_s / gpu.wu_per_s : null;
      log(
        `  same WU in one page: ${backends[0]} ${fmt(cpu?.ms_per_wu, 1)} ms (${fmt(cpu?.wu_per_s)} WU/s), ` +
          `${backends[1]} ${fmt(gpu?.ms_per_wu, 1)} ms (${fmt(gpu?.wu_per_s)} WU/s): ${backends[0]} is ${fmt(ratio)}× the rate`,
      );
      results[w.name] = {
        prefetch: withPrefetch,
        no_prefetch: withoutPrefetch,
        backends: compared,
        cpu_over_gpu: ratio,
      };
    }
  } finally {
    await browser.close();
    await grid.close();
  }
  const headline = (results.primes ?? Object.values(results).at(-1)) as { prefetch: PipelineFigures };
  if (JSON_OUTPUT)
    console.log(
      JSON.stringify({
        duty_cycle: headline.prefetch.duty_cycle,
        first_wu_ms: headline.prefetch.first_wu_ms,
        wu_per_s: headline.prefetch.wu_per_s,
        load_average: loadavg()[0],
        ...results,
      }),
    );
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  process.exit(1);
});
