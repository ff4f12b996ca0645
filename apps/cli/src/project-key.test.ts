// `bricolage project key` and signed `job create` against a real coordinator: the key is made once, kept
// 0600 beside the login, every later job is signed with it, and the coordinator publishes it and holds the
// project to it.
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { API, keyFingerprint, ProjectList } from '@bricolage/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from './exit';
import { type Grid, SQUARES, startGrid } from './testing/grid';

let grid: Grid;
beforeEach(async () => {
  grid = await startGrid();
  expect((await grid.cli(['project', 'create', 'Signed', '--login', '--url', grid.url])).exit).toBe(EXIT.ok);
});
afterEach(async () => {
  await grid.close();
});

const published = async () => ProjectList.parse(await (await fetch(grid.url + API.projects)).json()).projects[0]!;

describe('project key', () => {
  it('makes the key once, 0600 beside the login, and signs every job created after it', async () => {
    const unsigned = await grid.cli(['job', 'create', SQUARES]);
    expect(unsigned.exit, unsigned.stderr).toBe(EXIT.ok);
    expect(unsigned.stderr).toContain('not signed');
    expect((await published()).signingKey).toBeNull();

    const made = await grid.cli(['project', 'key', '--json']);
    expect(made.exit, made.stderr).toBe(EXIT.ok);
    const { publicKey, file, created } = made.json<{ publicKey: string; file: string; created: boolean }>();
    expect(created).toBe(true);
    expect(file.startsWith(grid.config)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toContain(publicKey);
    const again = await grid.cli(['project', 'key', '--json']);
    expect(again.json()).toMatchObject({ publicKey, created: false });

    const signed = await grid.cli(['job', 'create', SQUARES, '--json']);
    expect(signed.exit, signed.stderr).toBe(EXIT.ok);
    const job = signed.json<{ job: { id: string; definition: { signature: { key: string } } } }>().job;
    expect(job.definition.signature.key).toBe(publicKey);
    expect((await published()).signingKey).toBe(publicKey);

    // Logged in elsewhere without the key file: the coordinator holds the project to its key.
    const { token } = JSON.parse(readFileSync(join(grid.config, 'bricolage', 'config.json'), 'utf8')) as {
      token: string;
    };
    const elsewhere = { XDG_CONFIG_HOME: join(grid.dir, 'elsewhere') };
    const refused = await grid.cli(['job', 'create', SQUARES, '--url', grid.url, '--token', token], { env: elsewhere });
    expect(refused.exit).not.toBe(EXIT.ok);
    expect(refused.stderr).toMatch(/it is not signed, and its project's key is/);
  });

  it('makes no second key once the project signs with one, and says where that key is, not to run project key', async () => {
    const { token } = JSON.parse(readFileSync(join(grid.config, 'bricolage', 'config.json'), 'utf8')) as {
      token: string;
    };
    const elsewhere = { XDG_CONFIG_HOME: join(grid.dir, 'elsewhere') };
    expect((await grid.cli(['login', grid.url, '--token', token], { env: elsewhere })).exit).toBe(EXIT.ok);
    // Before any job is signed nothing is published, so a second machine may still make a key of its own.
    const early = await grid.cli(['project', 'key', '--json'], { env: elsewhere });
    expect(early.exit, early.stderr).toBe(EXIT.ok);
    const earlyFile = early.json<{ file: string }>().file;

    const made = await grid.cli(['project', 'key', '--json']);
    const { publicKey, file } = made.json<{ publicKey: string; file: string }>();
    expect((await grid.cli(['job', 'create', SQUARES])).exit).toBe(EXIT.ok);
    expect((await published()).signingKey).toBe(publicKey);

    // Another key file than the published key's: refused, and left as it is.
    const before = readFileSync(earlyFile, 'utf8');
    const other = await grid.cli(['project', 'key'], { env: elsewhere });
    expect(other.exit).toBe(EXIT.invalidInput);
    expect(other.stderr).toContain(`${earlyFile} holds the key`);
    expect(other.stderr).toContain(`signs its jobs with the key ${keyFingerprint(publicKey)}`);
    expect(readFileSync(earlyFile, 'utf8')).toBe(before);

    // No key file at all: none is made, and the message says where the key is, not to make one.
    const fresh = { XDG_CONFIG_HOME: join(grid.dir, 'fresh') };
    expect((await grid.cli(['login', grid.url, '--token', token], { env: fresh })).exit).toBe(EXIT.ok);
    const refused = await grid.cli(['project', 'key'], { env: fresh });
    expect(refused.exit).toBe(EXIT.invalidInput);
    expect(refused.stderr).toContain('already signs its jobs with the key');
    expect(refused.stderr).toContain('project-keys/');
    expect(refused.stderr).toContain('No key was made.');
    const freshFile = file.replace(grid.config, fresh.XDG_CONFIG_HOME);
    expect(refused.stderr).toContain(freshFile);
    expect(existsSync(freshFile)).toBe(false);

    // job create there is refused by the coordinator; the hint is where the key is, not `project key`.
    const job = await grid.cli(['job', 'create', SQUARES], { env: fresh });
    expect(job.exit).not.toBe(EXIT.ok);
    expect(job.stderr).toContain('its file is not on this machine');
    expect(job.stderr).not.toContain('`bricolage project key` makes the project a key');

    // With the key file copied over, project key shows that key, as on the machine that made it.
    mkdirSync(dirname(freshFile), { recursive: true });
    copyFileSync(file, freshFile);
    const copied = await grid.cli(['project', 'key', '--json'], { env: fresh });
    expect(copied.exit, copied.stderr).toBe(EXIT.ok);
    expect(copied.json()).toMatchObject({ publicKey, created: false });
  });
});
