// `npm start` on a data directory holding a file it cannot use — a key file cut short, a database file that is
// not SQLite, a folder where the operator token belongs — names the file and the reason in one line and exits 1:
// no stack trace, and the file is left as it was for the operator to look at.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runMain } from '../testing/run-captured';
import { layoutOf } from './layout';

const start = (dataDir: string) => runMain({ DATA_DIR: dataDir });

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
