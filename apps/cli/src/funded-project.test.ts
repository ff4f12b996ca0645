// `bricolage project open`: a volunteer's key backup from the page opens the key's own project, paid from its
// credit, and logs the CLI in to it; the project's jobs are made and listed as any project's are.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSigningKeyPair } from '@bricolage/protocol';
import { createKeyBackup } from '@bricolage/receipts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from './exit';
import { type Grid, SQUARES, startGrid } from './testing/grid';

const PASSPHRASE = 'correct horse battery';

describe('project open, with a volunteer key backup', () => {
  let grid: Grid;
  let key: string;
  beforeEach(async () => {
    grid = await startGrid();
    const pair = await generateSigningKeyPair(true);
    key = pair.publicKeyText;
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
