import type { JobId, JobProgress } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { type ProgressReading, ProgressFeeds, type Timers } from './progress-feed';

/** Timers that fire only when the test says so. */
class ManualTimers implements Timers {
  private pending = new Map<number, () => void>();
  private next = 1;
  setTimeout(fn: () => void, _ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, fn);
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  get scheduled(): number {
    return this.pending.size;
  }
  /** Fires everything due, then lets the reads it started settle. */
  async fire(): Promise<void> {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const fn of due) fn();
    await settle();
  }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

const JOB = 'job_a' as JobId;
const OTHER = 'job_b' as JobId;

function progress(job: JobId, validated: number, at: number): JobProgress {
  return {
    job,
    state: 'active',
    counts: { unsent: 0, in_progress: 0, validated, failed: 0, cancelled: 0 } as JobProgress['counts'],
    knownAnswer: 0,
    suspectAnswers: 0,
    credit: 0,
    diagnosis: { code: 'running', stalled: false, why: 'running', volunteers: { connected: 0, eligible: 0 } },
    activeVolunteers: 0,
    replicas: { issued: validated, reissued: 0, valid: validated, invalid: 0, errors: 0, givenBack: 0, withdrawn: 0 },
    errors: [],
    at,
  };
}

function setup(options: { changes?: boolean; quietReadTicks?: number } = {}) {
  const reads: JobId[] = [];
  let validated = 0;
  const timers = new ManualTimers();
  const listeners = new Set<(job: JobId) => void>();
  const feeds = new ProgressFeeds(
    async (job) => {
      reads.push(job);
      return progress(job, validated, reads.length);
    },
    500,
    (e) => {
      throw e;
    },
    {
      timers,
      ...(options.changes
        ? {
            changes: (listener: (job: JobId) => void) => {
              listeners.add(listener);
              return () => listeners.delete(listener);
            },
          }
        : {}),
      ...(options.quietReadTicks ? { quietReadTicks: options.quietReadTicks } : {}),
    },
  );
  /** A coordinator of the grid committed a change to the job. */
  const announce = (job: JobId) => {
    for (const l of listeners) l(job);
  };
  return { feeds, timers, reads, bump: () => validated++, announce, listeners };
}

describe('ProgressFeeds', () => {
  it('reads a job once per tick however many streams listen, and hands every stream the same reading', async () => {
    const { feeds, timers, reads } = setup();
    const seen: ProgressReading[][] = Array.from({ length: 8 }, () => []);
    const stops = seen.map((list) => feeds.subscribe(JOB, (r) => list.push(r)));
    await settle();
    expect(reads).toEqual([JOB]);
    for (let tick = 0; tick < 3; tick++) await timers.fire();
    expect(reads).toEqual([JOB, JOB, JOB, JOB]);
    for (const list of seen) expect(list).toHaveLength(4);
    for (const list of seen) expect(list).toEqual(seen[0]);
    for (const stop of stops) stop();
  });

  it('keeps one ticker per job', async () => {
    const { feeds, timers, reads } = setup();
    const stops = [feeds.subscribe(JOB, () => undefined), feeds.subscribe(OTHER, () => undefined)];
    stops.push(feeds.subscribe(JOB, () => undefined));
    await settle();
    await timers.fire();
    expect(reads.sort()).toEqual([JOB, JOB, OTHER, OTHER]);
    expect(feeds.active).toBe(2);
    for (const stop of stops) stop();
  });

  it('gives a late subscriber the latest reading at once', async () => {
    const { feeds, bump } = setup();
    bump();
    const stopFirst = feeds.subscribe(JOB, () => undefined);
    await settle();
    const late: ProgressReading[] = [];
    const stopLate = feeds.subscribe(JOB, (r) => late.push(r));
    expect(late.map((r) => r.progress.counts.validated)).toEqual([1]);
    stopFirst();
    stopLate();
  });

  it('stops reading when the last stream of a job goes', async () => {
    const { feeds, timers, reads } = setup();
    const a = feeds.subscribe(JOB, () => undefined);
    const b = feeds.subscribe(JOB, () => undefined);
    await settle();
    a();
    await timers.fire();
    expect(reads).toHaveLength(2);
    b();
    expect(timers.scheduled).toBe(0);
    expect(feeds.active).toBe(0);
    await timers.fire();
    expect(reads).toHaveLength(2);
  });

  it('stops even when the last stream leaves during a read', async () => {
    const { feeds, timers, reads } = setup();
    const stop = feeds.subscribe(JOB, () => undefined);
    stop();
    await settle();
    expect(reads).toHaveLength(1);
    expect(timers.scheduled).toBe(0);
  });

  it('gives readings whose key ignores the timestamp, so streams write only on change', async () => {
    const { feeds, timers, bump } = setup();
    const keys: string[] = [];
    const stop = feeds.subscribe(JOB, (r) => keys.push(r.key));
    await settle();
    await timers.fire();
    bump();
    await timers.fire();
    expect(keys[0]).toBe(keys[1]);
    expect(keys[2]).not.toBe(keys[1]);
    expect(keys).toHaveLength(3);
    stop();
  });

  it('reads a job again only once a change to it was announced, and hands the last reading on meanwhile', async () => {
    const { feeds, timers, reads, bump, announce } = setup({ changes: true, quietReadTicks: 100 });
    const seen: number[] = [];
    const stop = feeds.subscribe(JOB, (r) => seen.push(r.progress.counts.validated));
    await settle();
    for (let tick = 0; tick < 3; tick++) await timers.fire();
    expect(reads).toEqual([JOB]);
    expect(seen).toEqual([0, 0, 0, 0]);
    bump();
    announce(OTHER);
    await timers.fire();
    expect(reads).toEqual([JOB]);
    announce(JOB);
    await timers.fire();
    expect(reads).toEqual([JOB, JOB]);
    expect(seen.at(-1)).toBe(1);
    stop();
  });

  it('reads a quiet job anyway every so many ticks, for what no commit announces', async () => {
    const { feeds, timers, reads } = setup({ changes: true, quietReadTicks: 3 });
    const stop = feeds.subscribe(JOB, () => undefined);
    await settle();
    for (let tick = 0; tick < 6; tick++) await timers.fire();
    expect(reads).toHaveLength(3);
    stop();
  });

  it('stops listening for changes when closed', async () => {
    const { feeds, listeners } = setup({ changes: true });
    expect(listeners.size).toBe(1);
    feeds.close();
    expect(listeners.size).toBe(0);
  });
});
