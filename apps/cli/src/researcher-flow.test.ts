// A job from a folder of files to validated results with the CLI alone, against a real coordinator: project,
// login, job, work units from stdin in batches, watch until completed, results that match the CPU reference.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from './exit';
import { type Grid, SQUARES, startGrid, volunteer } from './testing/grid';

const units = (n: number) =>
  execFileSync(process.execPath, [join(SQUARES, 'make-units.mjs'), String(n)], { encoding: 'utf8' });

describe('the researcher flow, with the CLI alone', () => {
  let grid: Grid;
  beforeEach(async () => {
    grid = await startGrid();
  });
  afterEach(async () => {
    await grid.close();
  });

  it('creates a project and a job from files, uploads units, watches them complete and downloads matching results', async () => {
    const project = await grid.cli(['project', 'create', 'Squares', '--login', '--url', grid.url, '--json']);
    expect(project.exit, project.stderr).toBe(EXIT.ok);
    expect(project.json()).toMatchObject({ ok: true, project: { name: 'Squares' }, loggedIn: true });
    // The login holds the project token: only its owner may read it.
    const config = join(grid.config, 'bricolage', 'config.json');
    expect(statSync(config).mode & 0o777).toBe(0o600);
    expect(statSync(join(grid.config, 'bricolage')).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(config, 'utf8'))).toMatchObject({
      url: grid.url,
      token: expect.stringMatching(/^brk_/),
    });

    const created = await grid.cli(['job', 'create', SQUARES, '--quiet']);
    expect(created.exit, created.stderr).toBe(EXIT.ok);
    const job = created.stdout.trim();
    expect(job).toMatch(/^job_[a-z0-9]{16}$/);
    const shown = await grid.cli(['job', 'show', job, '--json']);
    const definition = shown.json<{ job: { definition: { spec: Record<string, unknown> } } }>().job.definition;
    // The kernel, its twin and the constant were found in the folder and uploaded by hash.
    expect(definition.spec).toMatchObject({ kind: 'wgsl', entryPoint: 'main', wasm: { export: 'run' } });

    const added = await grid.cli(['wus', 'add', job, '-', '--batch', '50', '--json'], { stdin: units(200) });
    expect(added.exit, added.stderr).toBe(EXIT.ok);
    expect(added.json()).toMatchObject({ units: 200, added: 200, resumed: 0, batches: 4 });

    const watching = grid.cli(['watch', job, '--json']);
    let finished = false;
    const computed = volunteer(grid.url, 2, async () => finished);
    const watched = await watching;
    finished = true;
    expect(await computed).toBeGreaterThanOrEqual(400);
    expect(watched.exit, watched.stderr).toBe(EXIT.ok);
    expect(watched.json()).toMatchObject({ state: 'completed', counts: { validated: 200, failed: 0 } });

    const downloaded = await grid.cli(['results', job, '--out', 'results.ndjson']);
    expect(downloaded.exit, downloaded.stderr).toBe(EXIT.ok);
    expect(downloaded.stdout).toContain('200 new results, 200 in all');
    // The example's own checker: every unit once, each equal to the CPU reference.
    const check = execFileSync(
      process.execPath,
      [join(SQUARES, 'check.mjs'), join(grid.dir, 'results.ndjson'), '200'],
      {
        encoding: 'utf8',
      },
    );
    expect(check).toContain('200 results, all equal to the CPU reference');
  });
});
