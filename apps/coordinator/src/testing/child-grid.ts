// Several coordinator processes of one grid (one Postgres, one shared data directory), each on a port of
// its own that it keeps across restarts, for the crash test and the benchmarks. One process alone is a
// SQLite grid.
import { ChildCoordinator, type ChildOptions, type Exit } from './child-coordinator';

export interface GridOptions extends Omit<ChildOptions, 'port'> {
  readonly processes: number;
  /** postgres://…: passed to every process as DATABASE_URL. */
  readonly databaseUrl?: string;
}

export class ChildGrid {
  readonly #options: GridOptions;
  readonly #children: ChildCoordinator[] = [];
  readonly #ports: number[] = [];

  private constructor(options: GridOptions) {
    this.#options = options;
  }

  static async start(options: GridOptions): Promise<ChildGrid> {
    const grid = new ChildGrid(options);
    try {
      // One after another: the first migrates the database, and the ports are known in order.
      for (let i = 0; i < options.processes; i++) await grid.restart(i);
    } catch (e) {
      await grid.killAll();
      throw e;
    }
    return grid;
  }

  get size(): number {
    return this.#options.processes;
  }

  url(i: number): string {
    return `http://127.0.0.1:${this.#ports[i]}`;
  }

  get urls(): string[] {
    return this.#ports.map((_, i) => this.url(i));
  }

  child(i: number): ChildCoordinator {
    return this.#children[i] as ChildCoordinator;
  }

  running(i: number): boolean {
    return this.#children[i]?.running ?? false;
  }

  #childOptions(i: number): ChildOptions {
    const { processes: _, databaseUrl, ...rest } = this.#options;
    return {
      ...rest,
      ...(this.#ports[i] === undefined ? {} : { port: this.#ports[i] }),
      env: { ...rest.env, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) },
    };
  }

  /** Starts process `i` (on its port, if it had one) without waiting for it to listen. */
  spawn(i: number): ChildCoordinator {
    const child = ChildCoordinator.spawn(this.#childOptions(i));
    this.#children[i] = child;
    return child;
  }

  /** Starts process `i` and waits until it listens. */
  async restart(i: number): Promise<string> {
    const { child, url } = await ChildCoordinator.start(this.#childOptions(i));
    this.#children[i] = child;
    this.#ports[i] = Number(new URL(url).port);
    return url;
  }

  /** kill -9 by default: a power cut of that process alone. */
  kill(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit> {
    return this.child(i).kill(signal);
  }

  async killAll(): Promise<void> {
    await Promise.all(this.#children.map((c) => c.kill()));
  }

  /** A clean stop of every process; their exits, in order. */
  async stop(): Promise<Exit[]> {
    return Promise.all(this.#children.map((c) => c.stop()));
  }

  get output(): string {
    return this.#children.map((c, i) => `--- coordinator ${i} ---\n${c.output.slice(-3000)}`).join('\n');
  }
}
