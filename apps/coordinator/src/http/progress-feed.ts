// Job progress for Server-Sent Events: one ticker per job that has listeners, handing each reading to every
// stream of that job, so a hundred dashboards cost one GROUP BY a tick. Given the grid's job changes (every
// coordinator announces what it committed: store.onJobChange, over LISTEN/NOTIFY with Postgres), a tick
// reads only a job that changed, and otherwise hands the last reading on, reading anyway now and then for
// what no commit announces (volunteers coming and going change the diagnosis).
import type { JobId, JobProgress } from '@bricolage/protocol';

/** A reading, with the key streams compare to see whether anything but the timestamp changed. */
export interface ProgressReading {
  readonly progress: JobProgress;
  readonly key: string;
}

export type ProgressListener = (reading: ProgressReading) => void;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A feed must never be what keeps the process alive: its streams are.
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface Feed {
  readonly listeners: Set<ProgressListener>;
  latest: ProgressReading | null;
  timer: unknown;
  /** A change was announced since the last reading. */
  changed: boolean;
  /** Ticks since the last reading. */
  quiet: number;
}

/** Where a feed hears of committed changes to jobs, in any coordinator of the grid. */
export type JobChanges = (listener: (job: JobId) => void) => () => void;

export interface FeedOptions {
  readonly timers?: Timers;
  readonly changes?: JobChanges;
  /** With `changes`: ticks without news after which a job is read anyway. */
  readonly quietReadTicks?: number;
}

/** A job nobody changed is read every 10 ticks (config.progressQuietMs sets it in the coordinator). */
const DEFAULT_QUIET_READ_TICKS = 10;

export class ProgressFeeds {
  private readonly feeds = new Map<JobId, Feed>();
  private closed = false;
  private readonly timers: Timers;
  private readonly unsubscribeChanges: () => void;

  constructor(
    private readonly read: (job: JobId) => Promise<JobProgress>,
    private readonly everyMs: number,
    private readonly onError: (error: Error) => void,
    private readonly options: FeedOptions = {},
  ) {
    this.timers = options.timers ?? realTimers;
    this.unsubscribeChanges =
      options.changes?.((job) => {
        const feed = this.feeds.get(job);
        if (feed) feed.changed = true;
      }) ?? (() => undefined);
  }

  /** Calls `listener` with every reading of `job` until the returned function is called. */
  subscribe(job: JobId, listener: ProgressListener): () => void {
    if (this.closed) return () => undefined;
    let feed = this.feeds.get(job);
    if (!feed) {
      feed = { listeners: new Set(), latest: null, timer: null, changed: true, quiet: 0 };
      this.feeds.set(job, feed);
      feed.listeners.add(listener);
      void this.tick(job, feed);
    } else {
      feed.listeners.add(listener);
      // A late subscriber need not wait for the next tick.
      if (feed.latest) listener(feed.latest);
    }
    const f = feed;
    return () => {
      f.listeners.delete(listener);
      if (f.listeners.size > 0 || this.feeds.get(job) !== f) return;
      this.timers.clearTimeout(f.timer);
      this.feeds.delete(job);
    };
  }

  /** Stops every ticker (the coordinator is shutting down and its store is about to close). */
  close(): void {
    this.closed = true;
    this.unsubscribeChanges();
    for (const feed of this.feeds.values()) this.timers.clearTimeout(feed.timer);
    this.feeds.clear();
  }

  /** Jobs with a ticker running (for tests and diagnostics). */
  get active(): number {
    return this.feeds.size;
  }

  private async tick(job: JobId, feed: Feed): Promise<void> {
    feed.timer = null;
    const due =
      !this.options.changes ||
      feed.changed ||
      feed.latest === null ||
      ++feed.quiet >= (this.options.quietReadTicks ?? DEFAULT_QUIET_READ_TICKS);
    try {
      if (due) {
        feed.changed = false;
        feed.quiet = 0;
        const progress = await this.read(job);
        feed.latest = { progress, key: JSON.stringify({ ...progress, at: 0 }) };
      }
      // Handed on unchanged too: streams count the ticks without news to send their keep-alives.
      if (feed.latest) for (const listener of [...feed.listeners]) listener(feed.latest);
    } catch (e) {
      this.onError(e as Error);
    }
    // Stopped while reading: the last listener left.
    if (this.feeds.get(job) !== feed) return;
    feed.timer = this.timers.setTimeout(() => void this.tick(job, feed), this.everyMs);
  }
}
