// OCR on the grid, end to end: a researcher hands the `bricolage` CLI 20 rendered pages of known English text; a
// 2-tab farm (real Chromium, the page's compute worker, onnxruntime-web) computes the detection job and then the
// recognition job the CLI makes from its validated results; the text comes back, and its character error rate
// against the rendered ground truth is ≤ 2 % over the 200 lines; every unit was validated by two agreeing tabs.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findChromium, startFarm } from '@bricolage/farm';
import { cerOfPage, REC_BATCH, sumCer } from '@bricolage/workloads';
import { LINES_PER_PAGE, renderPage } from '@bricolage/workloads/node';
import { expect, test } from '@playwright/test';
import { bricolage, gridPerTest } from '../support/grid-per-test';
import Database from 'better-sqlite3';

const chromium = findChromium();
if (!chromium.ok) throw new Error(chromium.message);

const PAGES = 20;
const grid = gridPerTest('bricolage-ocr-e2e-');

test('20 rendered pages read by a 2-tab farm through both OCR stages, CER ≤ 2 % over 200 lines, every unit by quorum', async () => {
  // About 3–5 minutes on 2 cores; the limit only ends a hung run.
  test.setTimeout(900_000);
  const project = await bricolage(grid, ['project', 'create', 'Scans (e2e)', '--login']);
  expect(project.code, project.stderr).toBe(0);
  mkdirSync(join(grid.dir, 'pages'));
  const truth = Array.from({ length: PAGES }, (_, i) => renderPage(18, i));
  truth.forEach((page, i) => {
    writeFileSync(join(grid.dir, 'pages', `page-${String(i).padStart(2, '0')}.png`), page.png);
  });

  const reading = bricolage(grid, ['ocr', 'pages', '--out', 'text.ndjson', '--json']);
  const recognitionUnits = Math.ceil((PAGES * LINES_PER_PAGE) / REC_BATCH);
  const farm = startFarm({
    coordinator: grid.coordinator.url,
    tabs: 2,
    chromium: chromium.ok ? chromium.path : '',
    profiles: join(grid.dir, 'profiles'),
    wus: 2 * (PAGES + recognitionUnits),
    // Between the stages the grid has no work until the CLI has made the recognition job.
    idleStopMs: 60_000,
    throttle: 100,
    unreachableTimeoutMs: 30_000,
    pollMs: 500,
    flushTimeoutMs: 30_000,
  });
  const read = await reading;
  const summary = await farm.done;
  expect(read.code, read.stderr).toBe(0);
  expect(summary).toMatchObject({ exit_code: 0, crashed: 0, rejected: 0 });
  const { detection, recognition } = JSON.parse(read.stdout) as { detection: string; recognition: string };

  const pages = readFileSync(join(grid.dir, 'text.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { page: string; lines: { text: string }[]; failed?: string });
  expect(pages).toHaveLength(PAGES);
  const cer = sumCer(
    pages.map((p, i) =>
      cerOfPage(
        p.lines.map((l) => l.text),
        truth[i]?.lines ?? [],
      ),
    ),
  );
  expect(cer.lines).toBe(PAGES * LINES_PER_PAGE);
  console.log(
    `OCR e2e: ${cer.errors} edits in ${cer.characters} characters, CER ${((100 * cer.errors) / cer.characters).toFixed(2)} %`,
  );
  expect(cer.errors / cer.characters).toBeLessThanOrEqual(0.02);

  // Each unit of both jobs validated by exactly two agreeing results from two different tabs, on the wasm EP.
  const db = new Database(join(grid.dir, 'data', 'bricolage.sqlite'), { readonly: true });
  try {
    for (const [job, units] of [
      [detection, PAGES],
      [recognition, recognitionUnits],
    ] as const) {
      const rows = db
        .prepare(
          "SELECT wu, COUNT(*) AS valid, COUNT(DISTINCT volunteer) AS volunteers, GROUP_CONCAT(DISTINCT backend) AS backends FROM replicas WHERE job = ? AND state = 'valid' GROUP BY wu",
        )
        .all(job) as { wu: number; valid: number; volunteers: number; backends: string }[];
      expect(rows).toHaveLength(units);
      for (const row of rows) expect(row).toMatchObject({ valid: 2, volunteers: 2, backends: 'onnx-wasm' });
    }
  } finally {
    db.close();
  }
});
