// The CLI's other commands against a real coordinator: a results download that resumes after a cut (and one of a
// cancelled job), job list/show/pause/resume/cancel, watch of a cancelled job, usage errors, and exit codes from a
// real process.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from './exit';
import { fromBase64, toBase64 } from '@bricolage/protocol';
import { type Grid, REPO, SQUARES, squaresTwin, startGrid, volunteer } from './testing/grid';

const units = (n: number) =>
  execFileSync(process.execPath, [join(SQUARES, 'make-units.mjs'), String(n)], { encoding: 'utf8' });

let grid: Grid;
let job: string;
beforeEach(async () => {
  grid = await startGrid();
  expect((await grid.cli(['project', 'create', 'Commands', '--login', '--url', grid.url])).exit).toBe(EXIT.ok);
  job = (await grid.cli(['job', 'create', SQUARES, '--quiet'])).stdout.trim();
});
afterEach(async () => {
  await grid.close();
});

async function computeAll(n: number): Promise<void> {
  expect((await grid.cli(['wus', 'add', job, '-'], { stdin: units(n) })).exit).toBe(EXIT.ok);
  await volunteer(grid.url, 2, async () => (await grid.coordinator.store.getJob(job as never))?.state === 'completed');
}

describe('results --out', () => {
  it('appends only what is new, and after a cut mid-line resumes from the last whole line', async () => {
    await computeAll(30);
    const file = join(grid.dir, 'out.ndjson');
    const first = await grid.cli(['results', job, '--out', 'out.ndjson', '--json']);
    expect(first.exit, first.stderr).toBe(EXIT.ok);
    expect(first.json()).toMatchObject({ written: 30, total: 30 });
    const whole = readFileSync(file, 'utf8');

    // A download cut in the middle of line 13: the file ends with half a line.
    const lines = whole.split('\n');
    const cutAt = lines.slice(0, 12).join('\n').length + 1 + 40;
    truncateSync(file, cutAt);
    const resumed = await grid.cli(['results', job, '--out', 'out.ndjson', '--json']);
    expect(resumed.exit, resumed.stderr).toBe(EXIT.ok);
    expect(resumed.json()).toMatchObject({ written: 18, total: 30 });
    expect(readFileSync(file, 'utf8')).toBe(whole);

    const again = await grid.cli(['results', job, '--out', 'out.ndjson']);
    expect(again.stdout).toContain('0 new results, 30 in all');
    expect(statSync(file).size).toBe(whole.length);
  });

  it('of a cancelled job says that what it downloaded is all there will be, not to run it again', async () => {
    expect((await grid.cli(['wus', 'add', job, '-'], { stdin: units(5) })).exit).toBe(EXIT.ok);
    expect((await grid.cli(['job', 'cancel', job])).exit).toBe(EXIT.ok);
    const fetched = await grid.cli(['results', job, '--out', 'out.ndjson']);
    expect(fetched.exit, fetched.stderr).toBe(EXIT.ok);
    expect(fetched.stdout).toContain(`${job} was cancelled: the 0 results in out.ndjson are all it will ever have`);
    expect(fetched.stdout).not.toContain('run the same command');
  });

  it("refuses a file that holds another job's results, either way round, and writes nothing to it", async () => {
    const other = (await grid.cli(['job', 'create', SQUARES, '--quiet'])).stdout.trim();
    expect((await grid.cli(['wus', 'add', job, '-'], { stdin: units(5) })).exit).toBe(EXIT.ok);
    expect((await grid.cli(['wus', 'add', other, '-'], { stdin: units(8) })).exit).toBe(EXIT.ok);
    const completed = async (id: string) => (await grid.coordinator.store.getJob(id as never))?.state === 'completed';
    await volunteer(grid.url, 2, async () => (await completed(job)) && (await completed(other)));

    // The other job's results at cursors 1–5 exist, but are not these: resuming after cursor 5 would skip five.
    expect((await grid.cli(['results', job, '--out', 'few.ndjson'])).exit).toBe(EXIT.ok);
    const few = readFileSync(join(grid.dir, 'few.ndjson'), 'utf8');
    const into = await grid.cli(['results', other, '--out', 'few.ndjson']);
    expect(into.exit).toBe(EXIT.invalidInput);
    expect(into.stderr).toContain(`few.ndjson holds another job's results`);
    expect(into.stderr).toContain(`not ${other}'s result there`);
    expect(readFileSync(join(grid.dir, 'few.ndjson'), 'utf8')).toBe(few);

    // This job has no result at cursor 8: resuming there would fetch nothing and call the file complete.
    expect((await grid.cli(['results', other, '--out', 'many.ndjson'])).exit).toBe(EXIT.ok);
    const many = readFileSync(join(grid.dir, 'many.ndjson'), 'utf8');
    const back = await grid.cli(['results', job, '--out', 'many.ndjson']);
    expect(back.exit).toBe(EXIT.invalidInput);
    expect(back.stderr).toContain(`where ${job} has no result`);
    expect(back.stderr).toContain(`--out results-${job}.ndjson`);
    expect(readFileSync(join(grid.dir, 'many.ndjson'), 'utf8')).toBe(many);
  });

  it('refuses to append to a file that is not a results file, and leaves it as it was', async () => {
    for (const text of ['hello\n', 'notes without a newline']) {
      writeFileSync(join(grid.dir, 'notes.txt'), text);
      const refused = await grid.cli(['results', job, '--out', 'notes.txt']);
      expect(refused.exit).toBe(EXIT.invalidInput);
      expect(refused.stderr).toContain('does not end with a result line');
      expect(readFileSync(join(grid.dir, 'notes.txt'), 'utf8')).toBe(text);
    }
  });
});

describe('job commands', () => {
  it('says how many units and batches it uploaded, one in the singular', async () => {
    const one = await grid.cli(['wus', 'add', job, '-'], { stdin: units(1) });
    expect(one.stdout).toContain(`${job}: 1 work unit uploaded in 1 batch\n`);
    const more = await grid.cli(['wus', 'add', job, '-', '--batch', '2'], { stdin: units(3) });
    expect(more.stdout).toContain(`${job}: 3 work units uploaded in 2 batches\n`);
  });

  it('lists, shows, pauses, resumes and cancels; watch of a cancelled job exits 6', async () => {
    expect((await grid.cli(['wus', 'add', job, '-'], { stdin: units(5) })).exit).toBe(EXIT.ok);
    const listed = await grid.cli(['job', 'list']);
    expect(listed.stdout).toMatch(new RegExp(`^${job}  active .* Squares$`, 'm'));
    const shown = await grid.cli(['job', 'show', job]);
    expect(shown.stdout).toContain('WGSL main + wasm twin, 256 bytes in, 256 out, quorum 2');
    expect(shown.stdout).toContain('5 work units: 0 validated, 0 failed, 0 in progress, 5 waiting');
    expect(shown.stdout).toContain('stalled: ');

    expect((await grid.cli(['job', 'pause', job])).stdout).toContain(`${job} is paused`);
    expect((await grid.cli(['job', 'resume', job])).stdout).toContain(`${job} is active`);
    expect((await grid.cli(['job', 'cancel', job])).stdout).toContain(`${job} is cancelled`);
    const watched = await grid.cli(['watch', job]);
    expect(watched.exit).toBe(EXIT.cancelled);
    expect(watched.stderr).toContain(`${job} was cancelled: 0 validated, 0 failed`);
    // The command to get its results names the job, as the completed summary does: one to copy, not a template.
    expect(watched.stderr).toContain(`bricolage results ${job} --out`);
    const refused = await grid.cli(['job', 'resume', job, '--json']);
    expect(refused.exit).toBe(EXIT.refused);
    expect(refused.json()).toMatchObject({ ok: false, error: { code: 'job_not_active' }, exit: EXIT.refused });
  });

  it('show and watch count known-answer units with the others, so that the figures add up', async () => {
    const twin = await squaresTwin();
    const lines = units(16)
      .trim()
      .split('\n')
      .map((line, i) => {
        if (i >= 5) return line;
        const unit = JSON.parse(line) as { input: string };
        return JSON.stringify({ ...unit, expected: toBase64(twin(fromBase64(unit.input))) });
      });
    expect((await grid.cli(['wus', 'add', job, '-'], { stdin: `${lines.join('\n')}\n` })).exit).toBe(EXIT.ok);
    const before = await grid.cli(['job', 'show', job]);
    expect(before.stdout).toContain('16 work units: 5 known answers, 0 validated, 0 failed, 0 in progress, 11 waiting');
    await volunteer(
      grid.url,
      2,
      async () => (await grid.coordinator.store.getJob(job as never))?.state === 'completed',
    );
    const after = await grid.cli(['job', 'show', job]);
    expect(after.stdout).toContain('16 work units: 5 known answers, 11 validated, 0 failed, 0 in progress, 0 waiting');
    const watched = await grid.cli(['watch', job]);
    expect(watched.exit, watched.stderr).toBe(EXIT.ok);
    expect(watched.stdout).toContain(`${job} completed: 5 known answers, 11 validated, 0 failed`);
  });

  it('says which job it cannot find, and what a job id looks like', async () => {
    const missing = await grid.cli(['job', 'show', 'job_0000000000000000']);
    expect(missing.exit).toBe(EXIT.refused);
    expect(missing.stderr).toContain('no job job_0000000000000000 in this project');
    const malformed = await grid.cli(['watch', 'squares']);
    expect(malformed.exit).toBe(EXIT.usage);
    expect(malformed.stderr).toContain('watch takes one job id');
    expect((await grid.cli(['frobnicate'])).exit).toBe(EXIT.usage);
    expect((await grid.cli(['job', 'list', '--colour'])).exit).toBe(EXIT.usage);
  });
});

describe('login', () => {
  it('reads the token from stdin when it is not given, checks it, and stores it for the next commands', async () => {
    const made = await grid.cli(['project', 'create', 'Second', '--url', grid.url, '--json']);
    const { token, project } = made.json<{ token: string; project: { id: string } }>();
    const login = await grid.cli(['login', grid.url], { stdin: `${token}\n` });
    expect(login.exit, login.stderr).toBe(EXIT.ok);
    expect(login.stdout).toContain(`as project Second (${project.id})`);
    // The stored login is the second project's: the first project's job is not there.
    expect((await grid.cli(['job', 'list', '--json'])).json()).toMatchObject({ jobs: [] });
  });
});

describe('the bricolage process', () => {
  it('exits with the code it documents', () => {
    const bin = join(REPO, 'apps/cli/bin/bricolage.mjs');
    const env = {
      ...process.env,
      XDG_CONFIG_HOME: join(grid.dir, 'nobody'),
      BRICOLAGE_TOKEN: '',
      BRICOLAGE_URL: grid.url,
    };
    const help = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8', env });
    expect(help.status).toBe(EXIT.ok);
    expect(help.stdout).toContain('exit codes:');
    const anonymous = spawnSync(process.execPath, [bin, 'job', 'list', '--json'], { encoding: 'utf8', env });
    expect(anonymous.status).toBe(EXIT.unauthorized);
    expect(JSON.parse(anonymous.stdout)).toMatchObject({ ok: false, error: { code: 'unauthorized' }, exit: 3 });
  });
});
