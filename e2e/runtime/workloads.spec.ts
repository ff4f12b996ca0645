// Each shipped workload computed in real Chromium by two volunteers (two browser contexts, so the
// coordinator's quorum of two is real) and validated by the coordinator; every validated output is
// compared with the workload's CPU reference.
import type { Browser, Page } from '@playwright/test';
import { cnn, decodePrimeCount, MANDELBROT_DEEP_ZOOM, mandelbrot, physics, primes } from '@bricolage/workloads';
import { buildJob } from '@bricolage/workloads/node';
import { API, fromBase64, sha256Hex } from '@bricolage/protocol';
import { expect, test } from '@playwright/test';
import { type Grid, startGrid } from '../support/grid';
import { waitValidated } from '../support/wait';
import {
  closeVolunteer,
  openHarness,
  type PageVolunteerOptions,
  startVolunteer,
  volunteerEvents,
  volunteerStatus,
} from '../support/page';

let grid: Grid;
test.beforeAll(async () => {
  grid = await startGrid();
});
test.afterEach(async () => {
  await grid.researcher.cancelAll();
});
test.afterAll(async () => {
  await grid?.close();
});

/**
 * Two volunteers in separate browser contexts. By default one runs WGSL on the WebGPU adapter and the
 * other the wasm twin, so a validated quorum also shows that the two backends agree.
 */
async function twoVolunteers(browser: Browser, options: PageVolunteerOptions[] = [WEBGPU, WASM]): Promise<Page[]> {
  const pages: Page[] = [];
  for (const o of options) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await openHarness(page, grid.url);
    await startVolunteer(page, o);
    pages.push(page);
  }
  return pages;
}

const WEBGPU: PageVolunteerOptions = { backends: { wgsl: 'webgpu', onnx: 'onnx-webgpu' } };
const WASM: PageVolunteerOptions = { backends: { wgsl: 'wasm', onnx: 'onnx-wasm' } };

/** The backends a volunteer's results came from. */
async function backendsOf(page: Page): Promise<string[]> {
  return [...new Set((await volunteerEvents(page)).filter((e) => e.type === 'computed').map((e) => String(e.backend)))];
}

async function closeAll(pages: Page[]): Promise<void> {
  for (const page of pages) {
    await closeVolunteer(page);
    await page.context().close();
  }
}

/** |a − b| ≤ atol + rtol·|b| for every f32. */
function closeEnough(actual: Uint8Array, expected: Uint8Array, rtol: number, atol: number): boolean {
  if (actual.length !== expected.length) return false;
  const a = new Float32Array(actual.slice().buffer);
  const b = new Float32Array(expected.slice().buffer);
  return a.every((x, i) => Math.abs(x - b[i]!) <= atol + rtol * Math.abs(b[i]!));
}

// onnxruntime's WebGPU EP on SwiftShader is ≈ 50× slower than its wasm EP: the small CNN runs on it on
// one volunteer (so the quorum spans both EPs); the physics model's 32 stencil steps stay on wasm.
for (const { workload, backends } of [
  { workload: cnn, backends: ['onnx-webgpu', 'onnx-wasm'] as const },
  { workload: physics, backends: ['onnx-wasm', 'onnx-wasm'] as const },
]) {
  test(`ONNX ${workload.name}: two volunteers (${backends.join(' + ')}) compute every work unit and the coordinator validates them`, async ({
    browser,
  }) => {
    const params = { workUnits: 3, seed: 7 };
    const bundle = await buildJob(workload, params);
    const job = await grid.researcher.createJob(bundle, { name: `${workload.name} e2e` });
    const units = [...workload.workUnits(params)];
    await grid.researcher.addWorkUnits(job, units);
    const pages = await twoVolunteers(
      browser,
      backends.map((onnx) => ({ backends: { onnx } })),
    );
    try {
      await waitValidated(grid, job, units.length, pages);
      const results = await grid.researcher.results(job);
      const comparator = bundle.request.comparator;
      for (const r of results) {
        const unit = units.find((u) => u.tag === r.tag)!;
        const expected = workload.reference(unit.input);
        const output = fromBase64(r.output!);
        if (comparator.kind === 'float')
          expect(closeEnough(output, expected, comparator.rtol, comparator.atol)).toBe(true);
        else expect(output).toEqual(expected);
      }
      for (const page of pages) {
        const status = await volunteerStatus(page);
        expect(status.counts.failed).toBe(0);
        expect(status.counts.dropped).toBe(0);
        expect(status.counts.computed).toBe(units.length);
      }
      expect(await backendsOf(pages[0]!)).toEqual([backends[0]]);
      expect(await backendsOf(pages[1]!)).toEqual([backends[1]]);
      // onnxruntime's .wasm came as a blob by its hash (checked), never by its URL among the page's files.
      const ort = (await (await fetch(grid.url + API.ortWasm)).json()) as { files: { name: string; hash: string }[] };
      const wanted = backends.map((b) =>
        b === 'onnx-webgpu' ? 'ort-wasm-simd-threaded.asyncify.wasm' : 'ort-wasm-simd-threaded.wasm',
      );
      for (const name of wanted) {
        const hash = ort.files.find((f) => f.name === name)?.hash;
        expect(hash, name).toBeDefined();
        expect(grid.gets).toContain(API.blob(hash!));
      }
      expect(grid.gets.filter((path) => /\/ort-wasm[^/]*\.wasm$/.test(path))).toEqual([]);
    } finally {
      await closeAll(pages);
    }
  });
}

/** π(10^k), OEIS A006880. */
const PI = [4, 25, 168, 1229, 9592, 78498, 664579, 5761455, 50847534];

test('primes: the validated counts of the demo batch equal the known values of π(10^k), k = 1…9', async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const jobs: {
    k: number;
    job: string;
    units: ReturnType<typeof primes.workUnits> extends Iterable<infer U> ? U[] : never;
  }[] = [];
  for (let k = 1; k <= 9; k++) {
    const limit = 10 ** k;
    // The smallest segment (2^17) for small limits, 2^24 (≈ 60 ms of wasm) above: 71 work units in all.
    const segment = Math.min(2 ** 24, Math.max(2 ** 17, 2 ** Math.ceil(Math.log2(limit))));
    const params = { limit, segment };
    const job = await grid.researcher.createJob(await buildJob(primes, params), { name: `primes below 10^${k}` });
    const units = [...primes.workUnits(params)];
    await grid.researcher.addWorkUnits(job, units);
    jobs.push({ k, job, units });
  }
  const pages = await twoVolunteers(browser);
  try {
    for (const { k, job, units } of jobs) {
      await waitValidated(grid, job, units.length, pages);
      const results = await grid.researcher.results(job);
      let total = 0;
      for (const r of results) {
        const output = fromBase64(r.output!);
        expect(output).toEqual(primes.reference(units.find((u) => u.tag === r.tag)!.input));
        total += decodePrimeCount(output);
      }
      expect(total, `π(10^${k})`).toBe(PI[k - 1]);
    }
    expect(await backendsOf(pages[0]!)).toEqual(['webgpu']);
    expect(await backendsOf(pages[1]!)).toEqual(['wasm']);
  } finally {
    await closeAll(pages);
  }
});

test('a WGSL-only job runs on volunteers that prefer wasm, on their software adapter, and validates', async ({
  browser,
}) => {
  // Both volunteers' calibration (forced here, as SwiftShader's own would choose) prefers the wasm twin.
  // A primes job stripped of its twin used to be leased to neither; a job with a twin still runs on wasm.
  const params = { limit: 2_000_000, segment: 2 ** 18 };
  const bundle = await buildJob(primes, params);
  if (bundle.request.spec.kind !== 'wgsl' || !bundle.request.spec.wasm) throw new Error('primes has a wasm twin');
  const { wasm: twin, ...wgslOnly } = bundle.request.spec;
  const onlyWgsl = await grid.researcher.createJob(
    { request: { ...bundle.request, spec: wgslOnly }, blobs: bundle.blobs.filter((_, i) => i !== 1) },
    { name: 'primes, WGSL only' },
  );
  const withTwin = await grid.researcher.createJob(bundle, { name: 'primes, with its twin' });
  expect(twin.module).toBe(await sha256Hex(bundle.blobs[1]!));
  const units = [...primes.workUnits(params)];
  for (const job of [onlyWgsl, withTwin]) await grid.researcher.addWorkUnits(job, units);
  const pages = await twoVolunteers(browser, [WASM, WASM]);
  try {
    for (const job of [onlyWgsl, withTwin]) {
      await waitValidated(grid, job, units.length, pages);
      let total = 0;
      for (const r of await grid.researcher.results(job)) {
        const output = fromBase64(r.output!);
        expect(output).toEqual(primes.reference(units.find((u) => u.tag === r.tag)!.input));
        total += decodePrimeCount(output);
      }
      expect(total).toBe(148_933); // π(2·10^6)
    }
    for (const page of pages) {
      const computed = (await volunteerEvents(page)).filter((e) => e.type === 'computed');
      const backends = (job: string) => [...new Set(computed.filter((e) => e.job === job).map((e) => e.backend))];
      expect(backends(onlyWgsl)).toEqual(['webgpu']);
      expect(backends(withTwin)).toEqual(['wasm']);
    }
  } finally {
    await closeAll(pages);
  }
});

test('mandelbrot: deep-zoom tiles rendered by two volunteers agree with the CPU reference', async ({ browser }) => {
  // Four tiles of the deep-zoom frame's centre, at fewer iterations to keep the test short.
  const params = {
    ...MANDELBROT_DEEP_ZOOM,
    width: 128,
    height: 128,
    span: MANDELBROT_DEEP_ZOOM.span / 8,
    maxIter: 1024,
  };
  const bundle = await buildJob(mandelbrot, params);
  const job = await grid.researcher.createJob(bundle, { name: 'mandelbrot e2e' });
  const units = [...mandelbrot.workUnits(params)];
  await grid.researcher.addWorkUnits(job, units);
  const pages = await twoVolunteers(browser);
  try {
    await waitValidated(grid, job, units.length, pages);
    const { rtol, atol } = bundle.request.comparator as { rtol: number; atol: number };
    for (const r of await grid.researcher.results(job)) {
      const unit = units.find((u) => u.tag === r.tag)!;
      expect(closeEnough(fromBase64(r.output!), mandelbrot.reference(unit.input), rtol, atol)).toBe(true);
    }
    expect(await backendsOf(pages[0]!)).toEqual(['webgpu']);
    expect(await backendsOf(pages[1]!)).toEqual(['wasm']);
  } finally {
    await closeAll(pages);
  }
});
