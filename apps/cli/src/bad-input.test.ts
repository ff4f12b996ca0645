// Bad input through the CLI: a wrong token, a broken WGSL, wrong bindings (caught here, and caught by the
// coordinator), a bad work-unit line, an upload cut in the middle. Each ends in a clear message and its exit
// code, and leaves nothing half-made on the coordinator.
import { cpSync, existsSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { sha256Hex } from '@bricolage/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from './exit';
import { type Cut, cuttingProxy } from './testing/cutting-proxy';
import { type Grid, SQUARES, startGrid } from './testing/grid';

const units = (n: number) =>
  execFileSync(process.execPath, [join(SQUARES, 'make-units.mjs'), String(n)], { encoding: 'utf8' });

let grid: Grid;
beforeEach(async () => {
  grid = await startGrid();
});
afterEach(async () => {
  await grid.close();
});

/** A project, logged in. */
async function loggedIn(): Promise<void> {
  const made = await grid.cli(['project', 'create', 'Bad input', '--login', '--url', grid.url]);
  expect(made.exit, made.stderr).toBe(EXIT.ok);
}

/** A copy of the squares example in the scratch folder, with `edit` applied to its files. */
function example(edit: (dir: string) => void): string {
  const dir = join(grid.dir, 'job');
  cpSync(SQUARES, dir, { recursive: true });
  edit(dir);
  return dir;
}

const jobs = async () => (await grid.coordinator.store.listProjects()).length;
const shaderStored = async (dir: string) =>
  (await grid.coordinator.store.blobSize(await sha256Hex(readFileSync(join(dir, 'squares.wgsl'))))) !== null;

describe('a wrong token', () => {
  it('login refuses it and stores nothing', async () => {
    await loggedIn();
    const wrong = await grid.cli(['login', grid.url, '--token', 'brk_not-a-token', '--url', grid.url], {
      env: { XDG_CONFIG_HOME: join(grid.dir, 'other-config') },
    });
    expect(wrong.exit).toBe(EXIT.unauthorized);
    expect(wrong.stderr).toContain('unknown project token');
    expect(wrong.stderr).toContain('Nothing was stored.');
    expect(existsSync(join(grid.dir, 'other-config', 'bricolage', 'config.json'))).toBe(false);
  });

  it('a researcher command with it fails before anything is stored', async () => {
    const created = await grid.cli(['job', 'create', SQUARES, '--url', grid.url, '--token', 'brk_wrong']);
    expect(created.exit).toBe(EXIT.unauthorized);
    expect(created.stderr).toContain(`The coordinator at ${grid.url} refused the project token`);
    expect(created.stderr).toContain('No job was created.');
    expect(await shaderStored(SQUARES)).toBe(false);
  });

  it('without any token the command says how to log in', async () => {
    const listed = await grid.cli(['job', 'list', '--url', grid.url]);
    expect(listed.exit).toBe(EXIT.unauthorized);
    expect(listed.stderr).toContain('not logged in: run `bricolage login URL --token brk_…`');
  });

  it('project create with another coordinator’s operator token creates nothing', async () => {
    const refused = await grid.cli(['project', 'create', 'Nope', '--url', grid.url, '--operator-token', 'bro_other']);
    expect(refused.exit).toBe(EXIT.unauthorized);
    expect(refused.stderr).toContain('refused the operator token from --operator-token');
    expect(refused.stderr).toContain('Nothing was created.');
    const elsewhere = await grid.cli(['project', 'create', 'Nope', '--url', grid.url, '--data-dir', 'elsewhere']);
    expect(elsewhere.exit).toBe(EXIT.unauthorized);
    expect(elsewhere.stderr).toContain(`no operator token: ${join(grid.dir, 'elsewhere', 'operator-token')} not found`);
    expect(await jobs()).toBe(0);
  });
});

describe('addresses and files the CLI cannot use', () => {
  it('an address without http:// is refused as bad input, not reported as a coordinator that did not answer', async () => {
    // `localhost:PORT` parses as a URL (of the scheme `localhost:`), unlike `127.0.0.1:PORT`.
    const host = `localhost:${new URL(grid.url).port}`;
    const login = await grid.cli(['login', host, '--token', 'brk_x']);
    expect(login.exit).toBe(EXIT.invalidInput);
    expect(login.stderr).toContain(`${host} is not an http:// or https:// URL`);
    await loggedIn();
    const listed = await grid.cli(['job', 'list', '--url', host]);
    expect(listed.exit).toBe(EXIT.invalidInput);
    expect(listed.stderr).toContain('is not an http:// or https:// URL');
  });

  it('results into a folder that does not exist: a message and exit 4, no stack trace', async () => {
    await loggedIn();
    const job = (await grid.cli(['job', 'create', SQUARES, '--quiet'])).stdout.trim();
    const fetched = await grid.cli(['results', job, '--out', join('no-such-folder', 'r.ndjson')]);
    expect(fetched.exit).toBe(EXIT.invalidInput);
    expect(fetched.stderr).toContain('cannot write no-such-folder/r.ndjson');
    expect(fetched.stderr).not.toMatch(/\n\s+at /);
  });

  it('a byte-order mark before job.json and before the first work-unit line is not an error', async () => {
    await loggedIn();
    const dir = example((d) => {
      writeFileSync(join(d, 'job.json'), `\uFEFF${readFileSync(join(d, 'job.json'), 'utf8')}`);
      // A link to nothing in the folder is no file of the job's.
      symlinkSync(join(d, 'nowhere'), join(d, 'dangling'));
    });
    const created = await grid.cli(['job', 'create', dir, '--quiet']);
    expect(created.exit, created.stderr).toBe(EXIT.ok);
    const job = created.stdout.trim();
    writeFileSync(join(grid.dir, 'units.ndjson'), `\uFEFF${units(5)}`);
    const added = await grid.cli(['wus', 'add', job, 'units.ndjson']);
    expect(added.exit, added.stderr).toBe(EXIT.ok);
    expect((await grid.coordinator.store.progress(job as never)).counts).toMatchObject({ unsent: 5 });
  });
});

describe('a job that cannot run', () => {
  beforeEach(loggedIn);

  it('a broken WGSL: the coordinator’s message with the line, and no job', async () => {
    const dir = example((d) => {
      const wgsl = join(d, 'squares.wgsl');
      writeFileSync(wgsl, readFileSync(wgsl, 'utf8').replace('+ offset[0];', '+ offset[0]'));
    });
    const created = await grid.cli(['job', 'create', dir]);
    expect(created.exit).toBe(EXIT.refused);
    expect(created.stderr).toMatch(/spec\.shader: WGSL line 1[12]: /);
    expect(created.stderr).toContain('No job was created.');
    expect((await grid.cli(['job', 'list', '--json'])).json()).toMatchObject({ jobs: [] });
  });

  it('bindings that cannot be right are refused here, before anything is sent', async () => {
    const dir = example((d) => {
      const manifest = join(d, 'job.json');
      writeFileSync(
        manifest,
        readFileSync(manifest, 'utf8').replace('"name": "ys", "type": "read_write"', '"name": "ys", "type": "read"'),
      );
    });
    const created = await grid.cli(['job', 'create', dir]);
    expect(created.exit).toBe(EXIT.invalidInput);
    expect(created.stderr).toContain('job.json: spec: output binding ys must be read_write');
    expect(created.stderr).toContain('Nothing was sent.');
    expect(await shaderStored(dir)).toBe(false);
  });

  it('a misspelt field is refused here, named, not dropped for its default', async () => {
    await loggedIn();
    const dir = example((d) => {
      const manifest = JSON.parse(readFileSync(join(d, 'job.json'), 'utf8'));
      writeFileSync(join(d, 'job.json'), JSON.stringify({ ...manifest, timeBudgetMS: 600_000 }));
    });
    const created = await grid.cli(['job', 'create', dir]);
    expect(created.exit).toBe(EXIT.invalidInput);
    expect(created.stderr).toContain('job.json: unknown field timeBudgetMS');
    expect(await shaderStored(dir)).toBe(false);
  });

  it('a file over 256 MiB is refused here by name, size and limit, exit 4', async () => {
    // Sparse: the size is there without the bytes.
    const dir = example((d) => truncateSync(join(d, 'squares.wasm'), 300 * 1024 * 1024));
    const created = await grid.cli(['job', 'create', dir]);
    expect(created.exit).toBe(EXIT.invalidInput);
    expect(created.stderr).toContain(
      "spec.wasm.module names squares.wasm, which is 300.0 MiB (314572800 bytes): a job's files may be at most 256 MiB each. Use a smaller file.",
    );
    expect(created.stderr).toContain('Nothing was sent.');
    expect(await shaderStored(dir)).toBe(false);
  });

  it('a constant file of the wrong size is refused here', async () => {
    const dir = example((d) => writeFileSync(join(d, 'offset.bin'), new Uint8Array(12)));
    const created = await grid.cli(['job', 'create', dir]);
    expect(created.exit).toBe(EXIT.invalidInput);
    expect(created.stderr).toContain('constant binding 1 (offset) declares 16 bytes, but offset.bin has 12');
  });

  it('bindings that do not match the WGSL are refused by the coordinator, naming the line, and no job', async () => {
    const dir = example((d) => {
      const manifest = join(d, 'job.json');
      writeFileSync(
        manifest,
        readFileSync(manifest, 'utf8').replace('"name": "xs", "type": "read"', '"name": "xs", "type": "uniform"'),
      );
    });
    const created = await grid.cli(['job', 'create', dir]);
    expect(created.exit).toBe(EXIT.refused);
    expect(created.stderr).toContain('binding 0 (xs) is uniform in the spec but var<storage, read> xs at WGSL line 5');
    expect(created.stderr).toContain('No job was created.');
    expect((await grid.cli(['job', 'list', '--json'])).json()).toMatchObject({ jobs: [] });
  });
});

describe('work units', () => {
  let job: string;
  beforeEach(async () => {
    await loggedIn();
    job = (await grid.cli(['job', 'create', SQUARES, '--quiet'])).stdout.trim();
  });
  const counts = async () => (await grid.coordinator.store.progress(job as never)).counts;

  it('a bad line anywhere is found before the first batch is sent', async () => {
    const lines = units(100).split('\n');
    lines[86] = JSON.stringify({ input: Buffer.alloc(252).toString('base64'), tag: 'short' });
    const added = await grid.cli(['wus', 'add', job, '-', '--batch', '10'], { stdin: lines.join('\n') });
    expect(added.exit).toBe(EXIT.invalidInput);
    expect(added.stderr).toContain("stdin line 87: input is 252 bytes; the job's inputs total 256");
    expect(added.stderr).toContain('Nothing was uploaded.');
    expect(await counts()).toMatchObject({ unsent: 0, in_progress: 0 });
  });

  it("a unit outside the job's own input checks is found before the first batch is sent", async () => {
    const dir = example((d) => {
      const manifest = JSON.parse(readFileSync(join(d, 'job.json'), 'utf8'));
      manifest.spec.inputChecks = [{ name: 'first', offset: 0, type: 'u32', max: '100' }];
      writeFileSync(join(d, 'job.json'), JSON.stringify(manifest));
    });
    const checked = (await grid.cli(['job', 'create', dir, '--quiet'])).stdout.trim();
    // Unit i starts at 64i: unit 2 (line 3) starts at 128.
    const added = await grid.cli(['wus', 'add', checked, '-', '--batch', '2'], { stdin: units(10) });
    expect(added.exit).toBe(EXIT.invalidInput);
    expect(added.stderr).toContain("stdin line 3: first = 128 is above the job's maximum 100");
    expect(added.stderr).toContain('Nothing was uploaded.');
    expect((await grid.coordinator.store.progress(checked as never)).counts).toMatchObject({ unsent: 0 });
  });

  it('a line that is not JSON is named file:line:column, with the reason', async () => {
    const lines = units(30).split('\n');
    lines[11] = lines[11]!.replace('"tag"', "'tag'");
    writeFileSync(join(grid.dir, 'units.ndjson'), lines.join('\n'));
    const added = await grid.cli(['wus', 'add', job, 'units.ndjson']);
    expect(added.exit).toBe(EXIT.invalidInput);
    const column = lines[11]!.indexOf("'tag'") + 1;
    expect(added.stderr).toContain(
      `${join(grid.dir, 'units.ndjson')}:12:${column}: not JSON (Expected double-quoted property name)`,
    );
    expect(added.stderr).toContain('Nothing was uploaded.');
    expect(await counts()).toMatchObject({ unsent: 0 });
  });

  it('a misspelt field on a line is found before the first batch is sent', async () => {
    const lines = units(30).split('\n');
    lines[20] = lines[20]!.replace('"tag"', '"tga"');
    const added = await grid.cli(['wus', 'add', job, '-', '--batch', '10'], { stdin: lines.join('\n') });
    expect(added.exit).toBe(EXIT.invalidInput);
    expect(added.stderr).toContain('stdin line 21: unknown field tga');
    expect(await counts()).toMatchObject({ unsent: 0 });
  });

  it('a folder of binary files is one unit per file, tagged with its name', async () => {
    const dir = join(grid.dir, 'inputs');
    const make = (i: number) => new Uint8Array(new Uint32Array(64).map((_, j) => i * 64 + j).buffer);
    execFileSync('mkdir', ['-p', dir]);
    for (let i = 0; i < 5; i++) writeFileSync(join(dir, `unit-${i}.bin`), make(i));
    const added = await grid.cli(['wus', 'add', job, 'inputs', '--json']);
    expect(added.exit, added.stderr).toBe(EXIT.ok);
    expect(added.json()).toMatchObject({ units: 5, added: 5 });
    expect(await counts()).toMatchObject({ unsent: 5 });
  });

  for (const how of ['mid-body', 'reply-lost'] as Cut[]) {
    it(`an upload cut ${how === 'mid-body' ? 'mid-body' : 'after the coordinator committed a batch'} resumes where it stopped, adding nothing twice`, async () => {
      const proxy = await cuttingProxy(grid.url, 3, how);
      try {
        const input = units(100);
        const cut = await grid.cli(['wus', 'add', job, '-', '--batch', '10', '--url', proxy.url], { stdin: input });
        expect(cut.exit).toBe(EXIT.unreachable);
        expect(cut.stderr).toContain('The upload was cut: 20 of 100 units are committed (2 batches).');
        expect(cut.stderr).toContain('Run the same command again to resume; nothing is added twice.');
        const resumed = await grid.cli(['wus', 'add', job, '-', '--batch', '10', '--json'], { stdin: input });
        expect(resumed.exit, resumed.stderr).toBe(EXIT.ok);
        expect(resumed.json()).toMatchObject({ units: 100, resumed: 20, batches: 10 });
        // The batch the cut hit was committed once: by the resume, or, when only its reply was lost, before it
        // (the resume's retry under the same Idempotency-Key is answered from the first commit).
        expect(resumed.json()).toMatchObject({ replayedBatches: how === 'reply-lost' ? 1 : 0 });
        expect(await counts()).toMatchObject({ unsent: 100 });
      } finally {
        await proxy.close();
      }
    });
  }

  it('a resume refuses an input that differs from the one that was cut', async () => {
    const proxy = await cuttingProxy(grid.url, 2, 'mid-body');
    try {
      const cut = await grid.cli(['wus', 'add', job, '-', '--batch', '10', '--url', proxy.url], { stdin: units(50) });
      expect(cut.exit).toBe(EXIT.unreachable);
    } finally {
      await proxy.close();
    }
    const other = units(50).replace('squares:0"', 'squares:zero"');
    const refused = await grid.cli(['wus', 'add', job, '-', '--batch', '10'], { stdin: other });
    expect(refused.exit).toBe(EXIT.invalidInput);
    expect(refused.stderr).toContain('the input differs from the interrupted upload');
    expect(refused.stderr).toContain('--restart');
    expect(await counts()).toMatchObject({ unsent: 10 });
  });
});
