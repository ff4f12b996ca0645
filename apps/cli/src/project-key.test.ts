// `bricolage project key` and signed `job create` against a real coordinator: the key is made once, kept
// 0600 beside the login, every later job is signed with it, and the coordinator publishes it and holds the
// project to it.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { API, ProjectList } from '@bricolage/protocol';
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
    expect(refused.stderr).toMatch(/it is not signed, and its project publishes the key/);
  });
});
