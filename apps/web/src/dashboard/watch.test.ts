// The samples behind a job page's throughput: a quiet stream still adds samples on the clock, so a job that
// stops finishing units (paused, or stalled) reads as zero rather than as its last busy rate.
import type { JobId, JobProgress, JobState } from '@bricolage/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventHandlers, ResearcherApi } from './api';
import { throughput } from './series';
import { JobWatch } from './watch';

function progress(state: JobState, validated: number, at: number): JobProgress {
  return {
    job: 'job_0123456789abcdef' as JobId,
    state,
    counts: { unsent: 1000 - validated, in_progress: 0, validated, failed: 0, cancelled: 0 },
    knownAnswer: 0,
    suspectAnswers: 0,
    credit: 0,
    diagnosis: { code: 'running', stalled: false, why: '', volunteers: { connected: 1, eligible: 1 } },
    activeVolunteers: state === 'active' ? 1 : 0,
    replicas: { issued: validated, reissued: 0, valid: validated, invalid: 0, errors: 0, givenBack: 0, withdrawn: 0 },
    errors: [],
    at,
  } as JobProgress;
}

/** An event stream the test feeds by hand; results are never image tiles here. */
function stream() {
  let handlers: EventHandlers | null = null;
  const api = {
    events: (_id: string, h: EventHandlers, signal: AbortSignal) => {
      handlers = h;
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve({ ok: true, value: undefined })));
    },
    results: async () => ({ ok: true, value: [] }),
  } as unknown as ResearcherApi;
  const send = (p: JobProgress) => {
    if (!handlers) throw new Error('the stream is not open');
    handlers.progress(p);
  };
  return { api, send };
}

/** These jobs' results are never image tiles. */
const noTiles = () => undefined;

describe('JobWatch', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const rateNow = (watch: JobWatch) => throughput(watch.view().samples).at(-1);

  it('a paused job’s throughput falls to zero while the stream is quiet', () => {
    const { api, send } = stream();
    const watch = new JobWatch(api, 'job_0123456789abcdef', noTiles, { tickMs: 5000 });
    watch.start();
    send(progress('active', 0, 1_000_000));
    vi.advanceTimersByTime(10_000);
    send(progress('active', 100, 1_010_000));
    send(progress('paused', 100, 1_010_000));
    expect(rateNow(watch)).toBe(600);
    vi.advanceTimersByTime(20_000);
    expect(rateNow(watch)).toBe(0);
    watch.stop();
  });

  it('a completed job adds no samples: its chart keeps the run it had', () => {
    const { api, send } = stream();
    const watch = new JobWatch(api, 'job_0123456789abcdef', noTiles, { tickMs: 5000 });
    watch.start();
    send(progress('active', 0, 1_000_000));
    vi.advanceTimersByTime(10_000);
    send(progress('completed', 1000, 1_010_000));
    const samples = watch.view().samples.length;
    vi.advanceTimersByTime(60_000);
    expect(watch.view().samples.length).toBe(samples);
    watch.stop();
  });

  it('knows whether it watched the job run: not for a job that was completed when the page opened', () => {
    const ended = stream();
    const before = new JobWatch(ended.api, 'job_0123456789abcdef', noTiles, { tickMs: 5000 });
    before.start();
    before.accept(progress('completed', 1000, 1_000_000));
    ended.send(progress('completed', 1000, 1_002_000));
    vi.advanceTimersByTime(60_000);
    expect(before.view().watchedRunning).toBe(false);
    before.stop();

    const live = stream();
    const watched = new JobWatch(live.api, 'job_0123456789abcdef', noTiles, { tickMs: 5000 });
    watched.start();
    live.send(progress('active', 0, 1_000_000));
    live.send(progress('completed', 1000, 1_010_000));
    expect(watched.view().watchedRunning).toBe(true);
    watched.stop();
  });
});
