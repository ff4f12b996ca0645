// `npm start` with a DATABASE_URL it cannot use (README, On Postgres): a new user's first try often names a
// role that does not exist, a database the role may not create tables in, or a server that is not up. The
// coordinator says which database and why in one line, and exits 1: no stack trace, no password.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readOperatorToken } from './operator-token';
import { DatabaseUnavailable } from './store/postgres/pg-persistence';
import { startCoordinator } from './server';
import { runMain } from './testing/run-captured';

const dataDir = mkdtempSync(join(tmpdir(), 'bricolage-nodb-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const start = (env: Record<string, string>) => runMain({ DATA_DIR: dataDir, ...env });

describe('npm start with a Postgres database it cannot use', () => {
  it('names the database and the reason in one line, without the password or a stack trace, and exits 1', async () => {
    // Port 1: nothing listens there, so the connection is refused at once.
    const { code, stderr, stdout } = await start({ DATABASE_URL: 'postgres://bricolage:s3cret@127.0.0.1:1/bricolage' });
    expect(code, stderr).toBe(1);
    expect(stderr).toContain('cannot use the Postgres database at 127.0.0.1:1/bricolage');
    expect(stderr).toContain('ECONNREFUSED');
    expect(stderr).not.toContain('s3cret');
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stdout).not.toContain('listening');
  }, 60_000);

  it('makes no operator token when it cannot start, so the first start that does prints it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bricolage-nodb-token-'));
    try {
      await expect(
        startCoordinator({ dataDir: dir, port: 0, databaseUrl: 'postgres://bricolage@127.0.0.1:1/bricolage' }),
      ).rejects.toThrow(DatabaseUnavailable);
      expect(readOperatorToken(dir)).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
