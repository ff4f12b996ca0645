// The README's Researchers section works as written: its shell block runs verbatim (bash, from a folder
// inside the repository so that `npx bricolage` finds the workspace's bin) against a coordinator this test
// starts, with a temporary HOME and config dir, while simulated volunteers compute the units.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Grid, REPO, startGrid, volunteer } from './testing/grid';

/** The fenced `sh` blocks of one `## ` section of a Markdown file. */
export function shellBlocks(markdown: string, section: string): string[] {
  const start = markdown.indexOf(`\n## ${section}\n`);
  if (start < 0) throw new Error(`no section ${section}`);
  const end = markdown.indexOf('\n## ', start + 1);
  const text = markdown.slice(start, end < 0 ? undefined : end);
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

describe('README, Researchers', () => {
  let grid: Grid;
  let cwd: string;
  beforeAll(async () => {
    grid = await startGrid();
    // Inside the repository (.tmp is ignored by git): npx looks for the bricolage bin from here upwards.
    mkdirSync(join(REPO, '.tmp'), { recursive: true });
    cwd = mkdtempSync(join(REPO, '.tmp', 'readme-'));
    cpSync(join(REPO, 'examples'), join(cwd, 'examples'), { recursive: true });
  });
  afterAll(async () => {
    await grid?.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('has one shell block, and it runs as written: project, job, 1,000 units, watch, results that check out', async () => {
    const blocks = shellBlocks(readFileSync(join(REPO, 'README.md'), 'utf8'), 'Researchers');
    expect(blocks).toHaveLength(1);
    const script = blocks[0] as string;
    expect(script).toContain('npx bricolage');

    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
      cwd,
      env: {
        ...process.env,
        HOME: join(grid.dir, 'home'),
        XDG_CONFIG_HOME: join(grid.dir, 'config'),
        // What `npm start` would mean by its defaults (./data, localhost:8787), for this test's coordinator.
        DATA_DIR: join(grid.dir, 'data'),
        BRICOLAGE_URL: grid.url,
        BRICOLAGE_TOKEN: '',
        BRICOLAGE_OPERATOR_TOKEN: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let done = false;
    const computing = volunteer(grid.url, 2, async () => done);
    const code = await exited;
    done = true;
    await computing;
    expect(code, output).toBe(0);
    expect(output).toContain('completed: 1000 validated, 0 failed');
    expect(output).toContain('1000 results, all equal to the CPU reference');
  }, 240_000);
});
