// `npm start` with settings left empty (`HOST=` in an env file, `PORT= npm start`): empty means unset, as the CLI
// reads its variables, so the coordinator listens where it would without them: loopback only, not every interface.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const COORDINATOR = resolve(import.meta.dirname, '..');
const dataDir = mkdtempSync(join(tmpdir(), 'bricolage-empty-env-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** The line saying where it listens (then it is stopped), or everything it wrote if it exits first. */
function listening(env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: COORDINATOR,
    env: { ...process.env, DATA_DIR: dataDir, PORT: '0', SEED_DEMO: '0', DATABASE_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((done) => {
    const read = (d: Buffer) => {
      output += d;
      const line = /listening on \S*/.exec(output);
      if (line) {
        child.kill('SIGTERM');
        done(line[0]);
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', () => done(output));
  });
}

describe('npm start with empty settings', () => {
  it('an empty HOST listens on loopback, as an unset one does', async () => {
    expect(await listening({ HOST: '' })).toMatch(/^listening on http:\/\/localhost:\d+$/);
  }, 60_000);
});
