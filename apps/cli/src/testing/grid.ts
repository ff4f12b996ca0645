// For the CLI's tests: a real coordinator on loopback with its own data dir, the CLI run in-process against
// it with a temporary config dir, and simulated volunteers that compute the squares example with its real
// wasm twin (the module the browsers run), so that a job created by the CLI really completes.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import type { Coordinator } from '@bricolage/coordinator';
import { compileAbi, runAbi } from '@bricolage/workloads';
import { API, fromBase64, type LeaseResponse } from '@bricolage/protocol';
import { GPU_CAPABILITIES, okResult, SimVolunteer } from '../../../coordinator/src/testing/sim-volunteer';
import type { Io } from '../io';
import { runCli } from '../run';

export const REPO = resolve(import.meta.dirname, '../../../..');
export const SQUARES = join(REPO, 'examples/squares');

export interface Run {
  readonly exit: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout's JSON line, for runs with --json. */
  json<T = Record<string, unknown>>(): T;
}

export interface Grid {
  readonly coordinator: Coordinator;
  readonly url: string;
  /** A scratch folder for the test's files; also the CLI's working directory. */
  readonly dir: string;
  /** XDG_CONFIG_HOME of the CLI runs. */
  readonly config: string;
  cli(args: readonly string[], options?: { stdin?: string; env?: Record<string, string> }): Promise<Run>;
  close(): Promise<void>;
}

export async function startGrid(): Promise<Grid> {
  const dir = await mkdtemp(join(tmpdir(), 'bricolage-cli-'));
  const { startCoordinator } = await import('@bricolage/coordinator');
  const coordinator = await startCoordinator({ dataDir: join(dir, 'data'), port: 0, log: () => undefined });
  const config = join(dir, 'config');
  return {
    coordinator,
    url: coordinator.url,
    dir,
    config,
    async cli(args, options = {}) {
      let stdout = '';
      let stderr = '';
      const io: Io = {
        env: { HOME: join(dir, 'home'), XDG_CONFIG_HOME: config, DATA_DIR: join(dir, 'data'), ...options.env },
        cwd: dir,
        stdin: Readable.from(options.stdin === undefined ? [] : [options.stdin]),
        stdout: { write: (t: string) => (stdout += t) },
        stderr: { write: (t: string) => (stderr += t) },
      };
      const exit = await runCli(args, io);
      return {
        exit,
        stdout,
        stderr,
        json: <T>() => {
          const lines = stdout.trim().split('\n');
          if (lines.length !== 1) throw new Error(`expected one JSON line on stdout, got:\n${stdout}\n${stderr}`);
          return JSON.parse(lines[0] as string) as T;
        },
      };
    },
    async close() {
      await coordinator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The squares example's CPU computation, through its wasm twin and its constant, as a browser runs it. */
export async function squaresTwin(): Promise<(input: Uint8Array) => Uint8Array> {
  const module = compileAbi(await readFile(join(SQUARES, 'squares.wasm')), { entry: 'run', constants: 1 });
  const offset = await readFile(join(SQUARES, 'offset.bin'));
  return (input) => runAbi(module, input, [offset]);
}

/**
 * `count` simulated volunteers take turns leasing and computing until `done()` says so (each unit of a quorum-2
 * job needs two of them); returns how many results they submitted.
 */
export async function volunteer(url: string, count: number, done: () => Promise<boolean>): Promise<number> {
  const compute = await squaresTwin();
  const volunteers = await Promise.all(Array.from({ length: count }, () => SimVolunteer.create(url)));
  let submitted = 0;
  while (!(await done())) {
    let leased = 0;
    for (const v of volunteers) {
      const lease = await v.post<LeaseResponse>(API.lease, { capabilities: GPU_CAPABILITIES, max: 200 });
      // A rate limit is the coordinator asking for a pause, not a failure of the test.
      if (lease.status === 429) continue;
      if (lease.status !== 200) throw new Error(`lease refused: ${JSON.stringify(lease.body)}`);
      const { leases } = lease.body;
      if (leases.length === 0) continue;
      const results = leases.map((l) => okResult(l, compute(fromBase64(l.input ?? ''))));
      let reply = await v.submit(results);
      while (reply.status === 429) {
        await new Promise((r) => setTimeout(r, 200));
        reply = await v.submit(results);
      }
      if (reply.status !== 200) throw new Error(`submit refused: ${JSON.stringify(reply.body)}`);
      leased += leases.length;
      submitted += leases.length;
    }
    // Nothing leased (units still uploading, or a rate limit): ask again a moment later.
    if (leased === 0) await new Promise((r) => setTimeout(r, 50));
  }
  return submitted;
}
