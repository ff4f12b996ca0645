// `bricolage ocr`'s refusals against a real coordinator: a file that is not a page image and an image too
// large, each before anything is sent; a corrupted model asset, by the coordinator.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { sha256Hex } from '@bricolage/protocol';
import { blankImage, encodePng } from '@bricolage/workloads';
import { loadOcrModels, renderPage } from '@bricolage/workloads/node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from './exit';
import { type Grid, startGrid } from './testing/grid';

const zlib = { inflate: (b: Uint8Array) => inflateSync(b), deflate: (b: Uint8Array) => deflateSync(b) };

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

  it('refuses a file that is not an image, naming it, and sends nothing', async () => {
    const pages = join(grid.dir, 'pages');
    mkdirSync(pages);
    writeFileSync(join(pages, 'a.png'), renderPage(18, 0).png);
    writeFileSync(join(pages, 'notes.txt'), 'the second page is missing\n');
    const run = await grid.cli(['ocr', 'pages']);
    expect(run.exit).toBe(EXIT.invalidInput);
    expect(run.stderr).toContain('notes.txt: not a PNG image');
    expect(run.stderr).toContain('Nothing was sent.');
    const jobs = await grid.cli(['job', 'list', '--json']);
    expect(jobs.json()).toMatchObject({ jobs: [] });
  });

  it('refuses an image too large to be a page before decoding its pixels', async () => {
    const pages = join(grid.dir, 'pages');
    mkdirSync(pages);
    writeFileSync(join(pages, 'poster.png'), encodePng(blankImage(8000, 6000), zlib));
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
