// Stacking benchmark (`npm run bench:stacking`, not a timed test): the compute worker alone, in headless
// Chromium, computing the same ONNX units of a job as it is (cnn, physics: `stackable`) and as if it did not
// stack, alternately, in calls of 64 as the pipeline posts them (`ComputeHost.runMany`). Per workload and
// mode, milliseconds of wall time per unit (the worker's whole turn, messages included), and their ratio.
// `--json` ends the output with one JSON line { workloads: [{ name, unstacked_ms_per_unit,
// stacked_ms_per_unit, speedup }] }, speedup = unstacked ÷ stacked, each the median of its rounds.
import { loadavg } from 'node:os';
import { type JobSpec, toBase64 } from '@bricolage/protocol';
import type { ComputeHost } from '@bricolage/runtime';
import { cnn, physics } from '@bricolage/workloads';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../e2e/support/chromium';
import { startGrid } from '../../e2e/support/grid';
import { buildHarness } from '../../e2e/support/harness';
import { type HarnessWindow, openHarness, prepareInPage } from '../../e2e/support/page';

const JSON_OUTPUT = process.argv.includes('--json');
const ROUNDS = 3;
const log = (line: string) => (JSON_OUTPUT ? console.error(line) : console.log(line));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

await buildHarness();
const grid = await startGrid();
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
const figures: { name: string; unstacked_ms_per_unit: number; stacked_ms_per_unit: number; speedup: number }[] = [];
try {
  const page = await (await browser.newContext()).newPage();
  await openHarness(page, grid.url);
  log(
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  for (const [workload, total] of [
    [cnn, 3072],
    [physics, 128],
  ] as const) {
    const { request, blobs } = await workload.job({ workUnits: 1 });
    const units = [...workload.workUnits({ workUnits: 64 })].map((u) => toBase64(u.input));
    const times: Record<'stacked' | 'unstacked', number[]> = { stacked: [], unstacked: [] };
    for (let round = 0; round < ROUNDS; round++)
      for (const stackable of [false, true]) {
        // A job id per mode and round: each is prepared afresh and measured from nothing.
        const id = `${workload.name}-${stackable}-${round}`;
        const spec = { ...request.spec, stackable } as JobSpec;
        const prepared = await prepareInPage(page, { id, spec, backend: 'onnx-wasm', assets: blobs });
        if (!prepared.ok) throw new Error(`${prepared.code}: ${prepared.message}`);
        const msPerUnit = await page.evaluate(
          async ({ id, units, total }) => {
            const w = window as unknown as HarnessWindow;
            const b = w.bricolage;
            const host = w.state.host as ComputeHost;
            const inputs = units.map((u) => b.fromBase64(u));
            // Warm: the first units measure the job's time per unit, which sets how many are stacked. (No
            // named functions in here: tsx would wrap them in a helper the page does not have.)
            for (let i = 0; i < 8; i++) await host.run(id, inputs[i]!.slice(), 60_000);
            let started = 0;
            let done = -inputs.length;
            for (; done < total; done += inputs.length) {
              if (done === 0) started = performance.now();
              const outcomes = await Promise.all(
                host.runMany(
                  id,
                  inputs.map((x) => x.slice()),
                  60_000,
                ),
              );
              const failed = outcomes.find((o) => !o.ok);
              if (failed && !failed.ok) throw new Error(`${failed.code}: ${failed.message}`);
            }
            return (performance.now() - started) / done;
          },
          { id, units, total },
        );
        times[stackable ? 'stacked' : 'unstacked'].push(msPerUnit);
        log(`${workload.name} ${stackable ? 'stacked' : 'one a run'}: ${msPerUnit.toFixed(3)} ms per unit`);
      }
    const unstacked = median(times.unstacked);
    const stacked = median(times.stacked);
    figures.push({
      name: workload.name,
      unstacked_ms_per_unit: Number(unstacked.toFixed(4)),
      stacked_ms_per_unit: Number(stacked.toFixed(4)),
      speedup: Number((unstacked / stacked).toFixed(3)),
    });
    log(`${workload.name}: ${(unstacked / stacked).toFixed(2)}× the units per second stacked (medians of ${ROUNDS})`);
  }
} finally {
  await browser.close();
  await grid.close();
}
if (JSON_OUTPUT) console.log(JSON.stringify({ load_average: loadavg()[0], workloads: figures }));
