// OCR on the grid, end to end: a researcher hands the `bricolage` CLI 20 rendered pages of known English text; a
// 2-tab farm (real Chromium, the page's compute worker, onnxruntime-web) computes the detection job and then the
// recognition job the CLI makes from its validated results; the text comes back, and its character error rate
// against the rendered ground truth is ≤ 2 % over the 200 lines; every unit was validated by two agreeing tabs.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Coordinator } from '@bricolage/coordinator';
import { findChromium, startFarm } from '@bricolage/farm';
import { cerOfPage, REC_BATCH, sumCer } from '@bricolage/workloads';
import { LINES_PER_PAGE, renderPage } from '@bricolage/workloads/node';
import { expect, test } from '@playwright/test';
import Database from 'better-sqlite3';
import { buildWeb } from '../web/support';

const chromium = findChromium();
if (!chromium.ok) throw new Error(chromium.message);

const PAGES = 20;
let dir: string;
let coordinator: Coordinator;

test.beforeAll(async () => {
  await buildWeb();
});

test.beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bricolage-ocr-e2e-'));
  const { startCoordinator } = await import('@bricolage/coordinator');
  coordinator = await startCoordinator({
    dataDir: join(dir, 'data'),
    port: 0,
    webRoot: join(process.cwd(), 'apps/web/dist'),
    config: { peers: false },
  });
});

test.afterEach(async () => {
  await coordinator.close();
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The `bricolage` bin as a process, with this test's config dir and coordinator. */
function bricolage(args: readonly string[]): Promise<Run> {
  const child = spawn(process.execPath, [join(process.cwd(), 'apps/cli/bin/bricolage.mjs'), ...args], {
    cwd: dir,
    env: {
      ...process.env,
      HOME: join(dir, 'home'),
      XDG_CONFIG_HOME: join(dir, 'config'),
      DATA_DIR: join(dir, 'data'),
      BRICOLAGE_URL: coordinator.url,
      BRICOLAGE_TOKEN: '',
      BRICOLAGE_OPERATOR_TOKEN: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d;
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d;
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

test('20 rendered pages read by a 2-tab farm through both OCR stages, CER ≤ 2 % over 200 lines, every unit by quorum', async () => {
  // About 3–5 minutes on 2 cores; the limit only ends a hung run.
  test.setTimeout(900_000);
  const project = await bricolage(['project', 'create', 'Scans (e2e)', '--login']);
  expect(project.code, project.stderr).toBe(0);
  mkdirSync(join(dir, 'pages'));
  const truth = Array.from({ length: PAGES }, (_, i) => renderPage(18, i));
  truth.forEach((page, i) => {
    writeFileSync(join(dir, 'pages', `page-${String(i).padStart(2, '0')}.png`), page.png);
  });

  const reading = bricolage(['ocr', 'pages', '--out', 'text.ndjson', '--json']);
  const recognitionUnits = Math.ceil((PAGES * LINES_PER_PAGE) / REC_BATCH);
  const farm = startFarm({
    coordinator: coordinator.url,
    tabs: 2,
    chromium: chromium.ok ? chromium.path : '',
    profiles: join(dir, 'profiles'),
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

  const pages = readFileSync(join(dir, 'text.ndjson'), 'utf8')
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
  const db = new Database(join(dir, 'data', 'bricolage.sqlite'), { readonly: true });
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
