// A coordinator of its own for each test of a spec that drives it from outside, as the researcher's CLI and the
// farm do: a fresh data directory, the built page, no WebRTC (there are no peers on this machine's real network;
// e2e/peers/ tests them in a namespace); and the processes such specs run, with their output.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Coordinator } from '@bricolage/coordinator';
import { test } from '@playwright/test';
import { buildWeb } from '../web/support';

export interface GridUnderTest {
  /** The test's own directory: the coordinator's data in `data/`, anything else the test writes beside it. */
  readonly dir: string;
  readonly coordinator: Coordinator;
}

/** Registers the hooks; what it returns reads the grid of the test under way. */
export function gridPerTest(prefix: string): GridUnderTest {
  let current: GridUnderTest | null = null;
  test.beforeAll(async () => {
    await buildWeb();
  });
  test.beforeEach(async () => {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    const { startCoordinator } = await import('@bricolage/coordinator');
    const coordinator = await startCoordinator({
      dataDir: join(dir, 'data'),
      port: 0,
      webRoot: join(process.cwd(), 'apps/web/dist'),
      config: { peers: false },
    });
    current = { dir, coordinator };
  });
  test.afterEach(async () => {
    if (!current) return;
    await current.coordinator.close();
    await rm(current.dir, { recursive: true, force: true });
    current = null;
  });
  const now = (): GridUnderTest => {
    if (!current) throw new Error('the grid exists only during a test');
    return current;
  };
  return {
    get dir() {
      return now().dir;
    },
    get coordinator() {
      return now().coordinator;
    },
  };
}

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Node running `script` with `args` in `cwd`; `input` goes to its stdin (closed at once without it). */
export function runNode(
  script: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv; readonly input?: string },
): Promise<Run> {
  const child = spawn(process.execPath, [script, ...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d;
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d;
  });
  child.stdin.end(options.input ?? '');
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

/** The `bricolage` bin against the test's coordinator, with a config and home of the test's own. */
export function bricolage(grid: GridUnderTest, args: readonly string[], input?: string): Promise<Run> {
  const { dir, coordinator } = grid;
  return runNode(join(process.cwd(), 'apps/cli/bin/bricolage.mjs'), args, {
    cwd: dir,
    env: {
      ...process.env,
      HOME: join(dir, 'home'),
      XDG_CONFIG_HOME: join(dir, 'config'),
      DATA_DIR: join(dir, 'data'),
      BRICOLAGE_URL: coordinator.url,
      BRICOLAGE_TOKEN: '',
      BRICOLAGE_OPERATOR_TOKEN: '',
    },
    ...(input === undefined ? {} : { input }),
  });
}
