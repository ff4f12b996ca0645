// `bricolage ocr`: a folder of rendered pages read on a real coordinator by volunteers that run the operated
// PP-OCRv4 models in onnxruntime-web's wasm backend (the browsers' code path for ONNX, here in a Node worker), two
// stages made by the CLI from validated results; and the refusals: a file that is not a page image and an
// image too large, each before anything is sent, and a corrupted model asset, by the coordinator.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { API, fromBase64, type Lease, type LeaseResponse, sha256Hex } from '@bricolage/protocol';
import { blankImage, cerOfPage, encodePng, sumCer, textLines } from '@bricolage/workloads';
import { loadOcrModels, nodeZlib, renderPage, renderText } from '@bricolage/workloads/node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GPU_CAPABILITIES, okResult, SimVolunteer } from '../../coordinator/src/testing/sim-volunteer';
import type { PageText } from './commands/ocr';
import { EXIT } from './exit';
import { startOcrInference } from './testing/ocr-inference';
import { type Grid, startGrid } from './testing/grid';

/**
 * Volunteers computing with the real models on another thread, as a browser's worker does: each input is
 * computed once (onnxruntime's wasm EP is deterministic, and the test has two cores, not two machines) and
 * every replica returns that output. Rejects at the first refusal or lost request, so that the test fails
 * with the reason rather than waiting out its timeout.
 */
async function ocrVolunteers(url: string, count: number, done: () => boolean): Promise<number> {
  const inference = await startOcrInference();
  const computed = new Map<string, Promise<Uint8Array>>();
  const compute = (lease: Lease, input: Uint8Array): Promise<Uint8Array> => {
    const known = computed.get(lease.inputHash);
    if (known) return known;
    const output = inference.run(input);
    computed.set(lease.inputHash, output);
    return output;
  };
  const fetchInput = async (hash: string): Promise<Uint8Array> => {
    const reply = await fetch(`${url}/v1/blobs/${hash}`, { signal: AbortSignal.timeout(30_000) });
    if (reply.status !== 200) throw new Error(`input ${hash}: HTTP ${reply.status}`);
    return new Uint8Array(await reply.arrayBuffer());
  };
  try {
    const volunteers = await Promise.all(Array.from({ length: count }, () => SimVolunteer.create(url)));
    let submitted = 0;
    while (!done()) {
      let leased = 0;
      for (const v of volunteers) {
        const lease = await v.post<LeaseResponse>(API.lease, { capabilities: GPU_CAPABILITIES, max: 4 });
        // Quorum 2 and a unit never goes twice to one key: each volunteer gets one replica of each unit.
        if (lease.status === 429 || lease.body.leases.length === 0) continue;
        const results = [];
        for (const l of lease.body.leases) {
          // Inputs past the lease's inline allowance are fetched by hash, as the page does.
          const input = l.input === null ? await fetchInput(l.inputHash) : fromBase64(l.input);
          results.push(okResult(l, await compute(l, input)));
        }
        const reply = await v.submit(results);
        if (reply.status !== 200) throw new Error(`submit refused: ${JSON.stringify(reply.body)}`);
        leased += results.length;
        submitted += results.length;
      }
      if (leased === 0) await new Promise((r) => setTimeout(r, 50));
    }
    return submitted;
  } finally {
    await inference.close();
  }
}

describe('bricolage ocr', () => {
  let grid: Grid;
  beforeEach(async () => {
    grid = await startGrid();
    const project = await grid.cli(['project', 'create', 'Scans', '--login', '--url', grid.url, '--json']);
    expect(project.exit, project.stderr).toBe(EXIT.ok);
  });
  afterEach(async () => {
    await grid.close();
  });

  it('reads a folder of pages, one tiled with long lines, through detection and recognition jobs, each unit validated by two volunteers', async () => {
    const pages = join(grid.dir, 'pages');
    mkdirSync(pages);
    const truth = [0, 1].map((i) => renderPage(18, i));
    // The second page as a scanner would send it: a JPEG (ImageMagick's encoder, quality 90).
    writeFileSync(join(pages, 'page-0.png'), truth[0]!.png);
    writeFileSync(
      join(pages, 'page-1.jpg'),
      execFileSync('convert', ['png:-', '-quality', '90', 'jpg:-'], { input: truth[1]!.png }),
    );
    // The third wider than the detector's canvas (4 tiles) with 3 lines of 120+ characters (read in pieces).
    truth.push(
      renderText(textLines(8, 3, 140), { width: 1700, height: 220, pointSize: 20, dpi: 72, margin: 30, linePitch: 60 }),
    );
    writeFileSync(join(pages, 'page-2.png'), truth[2]!.png);

    let finished = false;
    const computing = ocrVolunteers(grid.url, 2, () => finished);
    // The volunteers failing ends the test at once: the CLI would wait for them until the timeout.
    const run = await Promise.race([
      grid.cli(['ocr', 'pages', '--out', 'text.ndjson', '--json']),
      computing.then(() => {
        throw new Error('the volunteers stopped before the CLI finished');
      }),
    ]);
    finished = true;
    const submitted = await computing;
    expect(run.exit, run.stderr).toBe(EXIT.ok);
    const summary = run.json<{ detection: string; recognition: string }>();

    const read = readFileSync(join(grid.dir, 'text.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as PageText);
    expect(read.map((p) => p.page)).toEqual(['page-0.png', 'page-1.jpg', 'page-2.png']);
    for (const page of read) {
      expect(page.failed).toBeUndefined();
      for (const { box } of page.lines) expect(box[2]).toBeGreaterThan(box[0]);
    }
    const cer = sumCer(
      read.map((p, i) =>
        cerOfPage(
          p.lines.map((l) => l.text),
          truth[i]?.lines ?? [],
        ),
      ),
    );
    expect(cer.lines).toBe(23);
    expect(read[2]?.lines).toHaveLength(3);
    expect(cer.errors / cer.characters).toBeLessThanOrEqual(0.03);

    // Quorum 2 on both stages: every unit validated, each by two agreeing results and none more.
    const units: number[] = [];
    for (const job of [summary.detection, summary.recognition]) {
      const shown = await grid.cli(['job', 'show', job, '--json']);
      const { progress } = shown.json<{
        progress: { counts: { validated: number; failed: number }; replicas: { valid: number; invalid: number } };
      }>();
      expect(progress.counts.failed).toBe(0);
      expect(progress.replicas.valid).toBe(2 * progress.counts.validated);
      expect(progress.replicas.invalid).toBe(0);
      units.push(progress.counts.validated);
    }
    // 2 pages of one unit and one of 4 tiles; 20 lines and the long lines' pieces in units of 8: two replicas each.
    expect(units[0]).toBe(2 + 4);
    expect(units[1]).toBeGreaterThan(3);
    expect(submitted).toBe(2 * ((units[0] ?? 0) + (units[1] ?? 0)));
  }, 300_000);

  it('refuses an --out it could not write before anything is sent, not once the grid has done the work', async () => {
    const pages = join(grid.dir, 'pages');
    mkdirSync(pages);
    writeFileSync(join(pages, 'a.png'), renderPage(18, 0).png);
    // And a link to nothing beside it, which is no page (and no reason to stop).
    symlinkSync(join(grid.dir, 'nowhere.png'), join(pages, 'b.png'));
    const run = await grid.cli(['ocr', 'pages', '--out', 'missing/text.ndjson']);
    expect(run.exit).toBe(EXIT.invalidInput);
    expect(run.stderr).toContain('--out');
    expect(run.stderr).toContain('missing: no such folder');
    expect(run.stderr).toContain('Nothing was sent.');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    const jobs = await grid.cli(['job', 'list', '--json']);
    expect(jobs.json()).toMatchObject({ jobs: [] });
  });

  it('refuses a file that is not an image, naming it, and sends nothing', async () => {
    const pages = join(grid.dir, 'pages');
    mkdirSync(pages);
    writeFileSync(join(pages, 'a.png'), renderPage(18, 0).png);
    writeFileSync(join(pages, 'notes.txt'), 'the second page is missing\n');
    const run = await grid.cli(['ocr', 'pages']);
    expect(run.exit).toBe(EXIT.invalidInput);
    expect(run.stderr).toContain('notes.txt: not a PNG or JPEG image');
    expect(run.stderr).toContain('Nothing was sent.');
    const jobs = await grid.cli(['job', 'list', '--json']);
    expect(jobs.json()).toMatchObject({ jobs: [] });
  });

  it('refuses an image too large to be a page before decoding its pixels', async () => {
    const pages = join(grid.dir, 'pages');
    mkdirSync(pages);
    writeFileSync(join(pages, 'poster.png'), encodePng(blankImage(8000, 6000), nodeZlib));
    const run = await grid.cli(['ocr', 'pages', '--json']);
    expect(run.exit).toBe(EXIT.invalidInput);
    expect(run.json()).toMatchObject({
      ok: false,
      error: { code: 'invalid_input', message: expect.stringContaining('poster.png: 8000×6000 pixels is more than') },
    });
  });

  it('a corrupted model asset is refused by the coordinator: its bytes do not hash to its name', async () => {
    const model = loadOcrModels().recognition;
    const hash = await sha256Hex(model);
    const corrupted = model.slice();
    const middle = corrupted.length >> 1;
    corrupted[middle] = (corrupted[middle] as number) ^ 0xff;
    const token = JSON.parse(readFileSync(join(grid.config, 'bricolage', 'config.json'), 'utf8')).token as string;
    const reply = await fetch(`${grid.url}/v1/blobs/${hash}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: corrupted,
    });
    expect(reply.status).toBe(422);
    expect(await reply.json()).toMatchObject({ error: { code: 'hash_mismatch', message: expect.any(String) } });
  });
});
