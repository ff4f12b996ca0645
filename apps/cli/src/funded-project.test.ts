// `bricolage project open`: a volunteer's key backup from the page opens the key's own project, paid from its
// credit, and logs the CLI in to it; the project's jobs are made and listed as any project's are.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '@bricolage/client';
import { generateSigningKeyPair } from '@bricolage/protocol';
import { createKeyBackup } from '@bricolage/receipts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from './exit';
import { type Grid, SQUARES, startGrid } from './testing/grid';

const PASSPHRASE = 'correct horse battery';

describe('project open, with a volunteer key backup', () => {
  let grid: Grid;
  let key: string;
  let privateKey: CryptoKey;
  beforeEach(async () => {
    grid = await startGrid();
    const pair = await generateSigningKeyPair(true);
    key = pair.publicKeyText;
    privateKey = pair.privateKey;
    const backup = await createKeyBackup(
      { publicKey: key, privateKey: pair.privateKey, createdAt: Date.now() },
      PASSPHRASE,
      [],
      { iterations: 1000 },
    );
    if (!backup.ok) throw new Error(backup.error.message);
    writeFileSync(join(grid.dir, 'key.json'), JSON.stringify(backup.value));
  });
  afterEach(async () => {
    await grid.close();
  });

  it('opens the key’s project, logs in to it and creates a job there; again, the same project', async () => {
    const env = { BRICOLAGE_KEY_PASSPHRASE: PASSPHRASE };
    const args = ['project', 'open', '--key-backup', 'key.json', '--url', grid.url, '--json'];
    const opened = await grid.cli(args, { env });
    expect(opened.exit, opened.stderr).toBe(EXIT.ok);
    const project = opened.json<{ project: { id: string }; volunteer: string }>();
    expect(project.volunteer).toBe(key);
    const job = await grid.cli(['job', 'create', SQUARES, '--quiet']);
    expect(job.exit, job.stderr).toBe(EXIT.ok);
    const listed = await grid.cli(['job', 'list', '--json']);
    expect(listed.stdout).toContain(job.stdout.trim());
    const again = await grid.cli(args, { env });
    expect(again.json<{ project: { id: string } }>().project.id).toBe(project.project.id);
  });

  it('once the project is opened on the page, a refused token says to open it here again, not to log in', async () => {
    const env = { BRICOLAGE_KEY_PASSPHRASE: PASSPHRASE };
    const args = ['project', 'open', '--key-backup', 'key.json', '--url', grid.url];
    expect((await grid.cli(args, { env })).exit).toBe(EXIT.ok);
    // "Open my project" on the volunteer page: the same request, signed with the key, and a new token.
    const page = await createClient({ url: grid.url }).openFundedProject({ publicKey: key, privateKey }, { name: 'x' });
    expect(page.ok).toBe(true);
    const refused = await grid.cli(['job', 'list']);
    expect(refused.exit).toBe(EXIT.unauthorized);
    expect(refused.stderr).toContain(
      `run \`bricolage project open --key-backup ${join(grid.dir, 'key.json')}\` again for a new one`,
    );
    expect(refused.stderr).not.toContain('bricolage login');
    // A token given on the command line is not the one `project open` stored: logging in is what fixes that.
    const given = await grid.cli(['job', 'list', '--token', 'brk_wrong']);
    expect(given.stderr).toContain(`log in again with \`bricolage login ${grid.url} --token brk_…\``);
    // Opening it again here works.
    expect((await grid.cli(args, { env })).exit).toBe(EXIT.ok);
    expect((await grid.cli(['job', 'list'])).exit).toBe(EXIT.ok);
  });

  it('refuses a wrong passphrase, or none, and opens nothing', async () => {
    const args = ['project', 'open', '--key-backup', 'key.json', '--url', grid.url];
    const wrong = await grid.cli(args, { env: { BRICOLAGE_KEY_PASSPHRASE: 'not the passphrase' } });
    expect(wrong.exit).not.toBe(EXIT.ok);
    expect(wrong.stderr).toMatch(/key\.json: .*passphrase/i);
    const none = await grid.cli(args);
    expect(none.exit).not.toBe(EXIT.ok);
    expect(none.stderr).toContain('BRICOLAGE_KEY_PASSPHRASE is not set');
    expect(await grid.coordinator.store.listProjects()).toEqual([]);
  });
});
