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
