// `npm start` on a data directory holding a file it cannot use — a key file cut short, a database file that is
// not SQLite, a folder where the operator token belongs — names the file and the reason in one line and exits 1:
// no stack trace, and the file is left as it was for the operator to look at.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { layoutOf } from './layout';

const COORDINATOR = resolve(import.meta.dirname, '../..');

function start(dataDir: string): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: COORDINATOR,
    env: { ...process.env, DATA_DIR: dataDir, PORT: '0', SEED_DEMO: '0', DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d;
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d;
  });
  return new Promise((done) => child.on('exit', (code) => done({ code, stderr, stdout })));
}

describe('npm start on a data directory with a file it cannot use', () => {
  let dataDir = '';
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it.each([
    [
      'a key file cut short',
      (dir: string): string | null => {
        mkdirSync(layoutOf(dir).keys, { recursive: true });
        writeFileSync(join(layoutOf(dir).keys, 'coordinator.key'), 'short');
        return join(layoutOf(dir).keys, 'coordinator.key');
      },
      'is 5 bytes, not a 32-byte key',
    ],
    [
      'a database file that is not SQLite',
      (dir: string) => {
        writeFileSync(layoutOf(dir).database, 'not a database\n'.repeat(100));
        return layoutOf(dir).database;
      },
      'file is not a database',
    ],
    [
      'a folder where the operator token belongs',
      (dir: string) => {
        mkdirSync(join(dir, 'operator-token'));
        return null;
      },
      'EISDIR',
    ],
  ])(
    '%s: names it and why in one line, exits 1, leaves it as it was',
    async (_, make, reason) => {
      dataDir = mkdtempSync(join(tmpdir(), 'bricolage-unusable-'));
      const file = make(dataDir);
      const before = file && readFileSync(file);
      const { code, stderr, stdout } = await start(dataDir);
      expect(code, stderr).toBe(1);
      expect(stderr).toContain(`cannot start on the data directory ${dataDir}`);
      expect(stderr).toContain(reason);
      expect(stderr).not.toMatch(/\n\s+at /);
      expect(stdout).not.toContain('listening');
      if (file) {
        expect(stderr).toContain(file);
        expect(readFileSync(file)).toEqual(before);
      }
    },
    60_000,
  );
});
