// How the Store runs the work unit's steps: one transaction over the backend's Persistence with a fresh StepContext,
// what the steps decided written once at the end, and the jobs they touched announced on the grid's broadcast once it
// committed (progress streams of every coordinator re-read them).
import type { JobId } from '@bricolage/protocol';
import type { Random } from '../clock';
import { Changes } from '../steps/changes';
import { JobCatalog, type StepContext, type StepLimits } from '../steps/context';
import { claimLogKey } from '../steps/log-key';
import { writeChanges } from '../steps/write';
import type { Persistence, Tx } from './persistence';

/** The broadcast topic on which committed changes to a job's units or state are announced (message: its id). */
const JOB_CHANGES = 'jobs';

export interface StepRunnerOptions extends StepLimits {
  readonly random: Random;
}

export class StepRunner {
  readonly #db: Persistence;
  readonly #options: StepRunnerOptions;
  /** Job definitions never change: read once per process, for every step. */
  readonly catalog = new JobCatalog();
  #logKey = '';

  constructor(db: Persistence, options: StepRunnerOptions) {
    this.#db = db;
    this.#options = options;
  }

  /** Makes `key` the log's (the grid's) key, unless the log has another: then that one, and nothing changes. */
  async claimLogKey(key: string): Promise<string | null> {
    const held = await this.#db.transaction((tx) => claimLogKey(tx, key));
    if (held === null) this.#logKey = key;
    return held;
  }

  /** Runs steps in one transaction; announces the jobs they touched once it has committed. */
  async step<T>(now: number, work: (ctx: StepContext) => Promise<T>): Promise<T> {
    let touched: ReadonlySet<JobId> = new Set();
    const value = await this.#db.transaction(async (tx) => {
      const ctx: StepContext = {
        tx,
        changes: new Changes(),
        now,
        random: this.#options.random,
        catalog: this.catalog,
        limits: this.#options,
        logKey: this.#logKey,
      };
      const v = await work(ctx);
      touched = ctx.changes.touched;
      return v;
    });
    for (const job of touched) this.#db.broadcast.publish(JOB_CHANGES, job);
    return value;
  }

  /** A step whose decisions are written at the end of its transaction; all of them, or none when `keep` says so. */
  write<T>(now: number, work: (ctx: StepContext) => Promise<T>, keep: (value: T) => boolean = () => true): Promise<T> {
    return this.step(now, async (ctx) => {
      const value = await work(ctx);
      if (keep(value)) await writeChanges(ctx);
      return value;
    });
  }

  /** Rows read or written in one transaction, with no step. */
  read<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.#db.transaction(work);
  }

  onJobChange(listener: (job: JobId) => void): () => void {
    return this.#db.broadcast.subscribe(JOB_CHANGES, (job) => listener(job as JobId));
  }
}
