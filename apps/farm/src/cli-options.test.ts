// The farm's options, refused before any browser starts, in words that say what to write instead.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const FARM = resolve(import.meta.dirname, '..');

const farm = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: FARM,
    encoding: 'utf8',
    timeout: 60_000,
  });

describe('farm --coordinator', () => {
  it('refuses an address without http:// before anything else (it used to end in a stack trace)', () => {
    const run = farm('--coordinator', 'localhost:8787', '--chromium', '/nonexistent/chromium');
    expect(run.stderr).toContain(
      'farm: --coordinator localhost:8787 is not an http:// or https:// URL (e.g. http://localhost:8787)',
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.status).toBe(2);
  });
});

describe('farm options it does not know', () => {
  it('are a usage mistake, said in a line with the usage and exit 2, not a stack trace', () => {
    for (const args of [['--bogus'], ['--wus', '-3']]) {
      const run = farm(...args, '--chromium', '/nonexistent/chromium');
      expect(run.stderr).toMatch(/^farm: .*(--bogus|--wus)/);
      expect(run.stderr).toContain('usage: npm run farm');
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.status).toBe(2);
    }
  });
});
