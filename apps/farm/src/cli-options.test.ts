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

describe('farm --coordinator twice', () => {
  it('refuses the same coordinator given twice, by origin, before Chromium starts', () => {
    const run = farm(
      '--coordinator',
      'http://localhost:8851',
      '--coordinator',
      'HTTP://LocalHost:8851/',
      '--chromium',
      '/nonexistent/chromium',
    );
    expect(run.stderr).toContain(
      'farm: --coordinator HTTP://LocalHost:8851/ is the same coordinator as --coordinator http://localhost:8851 (http://localhost:8851)',
    );
    expect(run.stderr).toContain('usage: npm run farm');
    expect(run.status).toBe(2);
  });

  it('takes two different ones on to the next check (here: no Chromium, exit 4)', () => {
    const run = farm(
      '--coordinator',
      'http://localhost:8851',
      '--coordinator',
      'http://localhost:8852',
      '--chromium',
      '/nonexistent/chromium',
    );
    expect(run.stderr).not.toContain('same coordinator');
    expect(run.status).toBe(4);
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
