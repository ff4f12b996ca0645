// Runs the coordinator's `npm start` entry (main.ts) as a child process, for the crash test, which
// must kill -9 it, and the benchmark, which measures its CPU and memory apart from the client's.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const COORDINATOR_MAIN = resolve(import.meta.dirname, '../main.ts');

// The loader itself, not the tsx CLI: the CLI runs the script in a grandchild that a SIGKILL would orphan.
export const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface ChildOptions {
  readonly dataDir: string;
  /** 0 lets the kernel pick; a restart passes the port the first start got, so clients keep their URL. */
  readonly port?: number;
  /** Extra node flags, e.g. `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** The entry script; main.ts unless a test needs another. */
  readonly entry?: string;
  readonly startTimeoutMs?: number;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class ChildCoordinator {
  /** Everything the child printed, stdout and stderr interleaved: shown when something goes wrong. */
  output = '';
  readonly exited: Promise<Exit>;
  private exit: Exit | null = null;
  private readonly url: Promise<string>;

  private constructor(
    private readonly child: ChildProcess,
    startTimeoutMs: number,
  ) {
    this.exited = new Promise((done) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        done(this.exit);
      });
    });
    this.url = new Promise((ok, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`coordinator did not start in ${startTimeoutMs} ms:\n${this.output}`)),
        startTimeoutMs,
      );
      const onData = (chunk: Buffer) => {
        this.output += chunk.toString('utf8');
        // main.ts prints `listening on http://localhost:PORT` for 127.0.0.1; we ask for IPv4 explicitly.
        const m = /listening on http:\/\/[^\s:]+:(\d+)/.exec(this.output);
        if (m) {
          clearTimeout(timer);
          ok(`http://127.0.0.1:${m[1]}`);
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      void this.exited.then((e) => {
        clearTimeout(timer);
        fail(new Error(`coordinator exited before listening (${e.signal ?? e.code}):\n${this.output}`));
      });
    });
    // A kill before the child is up is deliberate in the crash test; nobody need be waiting on ready().
    this.url.catch(() => undefined);
  }

  /** Starts the child and returns at once; `ready()` resolves with its URL once it listens. */
  static spawn(options: ChildOptions): ChildCoordinator {
    const child = spawn(
      process.execPath,
      [...(options.nodeArgs ?? []), '--import', TSX_LOADER, options.entry ?? COORDINATOR_MAIN],
      {
        env: {
          ...process.env,
          PORT: String(options.port ?? 0),
          DATA_DIR: options.dataDir,
          HOST: '127.0.0.1',
          SEED_DEMO: '0',
          ...options.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    // A start on a loaded 2-core machine can take many seconds (crash-run.ts asks 60 s too).
    return new ChildCoordinator(child, options.startTimeoutMs ?? 60_000);
  }

  static async start(options: ChildOptions): Promise<{ child: ChildCoordinator; url: string }> {
    const child = ChildCoordinator.spawn(options);
    try {
      return { child, url: await child.ready() };
    } catch (e) {
      await child.kill();
      throw e;
    }
  }

  ready(): Promise<string> {
    return this.url;
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get running(): boolean {
    return this.exit === null;
  }

  /** SIGKILL by default: the crash test's power cut. Resolves once the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit> {
    if (this.exit) return this.exit;
    this.child.kill(signal);
    return this.exited;
  }

  /** A clean shutdown (SIGTERM), escalating to SIGKILL if it takes longer than `graceMs`. */
  async stop(graceMs = 10_000): Promise<Exit> {
    if (this.exit) return this.exit;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** User + system CPU time the child has used so far, in microseconds (Linux /proc). */
  cpuMicros(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15 of stat(5).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1_000_000) / CLOCK_TICKS;
  }

  /** Peak resident set size so far (VmHWM), in bytes (Linux /proc). */
  peakRssBytes(): number {
    return this.status('VmHWM');
  }

  /** Resident set size now (VmRSS), in bytes (Linux /proc). */
  rssBytes(): number {
    return this.status('VmRSS');
  }

  private status(field: string): number {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  }
}

// USER_HZ: 100 on every Linux Node supports; /proc reports CPU time in these ticks.
const CLOCK_TICKS = 100;
