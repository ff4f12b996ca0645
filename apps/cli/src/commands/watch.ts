// `bricolage watch JOB`: the job's event stream as a live bar with rate and ETA, the stall diagnosis and the
// volunteers' errors as they change; it ends when the job completes (exit 0) or is cancelled (exit 6), and
// reconnects when the stream drops (a coordinator restart), giving up after a few failed tries.
import type { ClientError } from '@bricolage/client';
import type { JobId, JobProgress } from '@bricolage/protocol';
import { explain, type Researcher } from '../connection';
import { EXIT, type ExitCode } from '../exit';
import type { Output } from '../io';
import { duration, progress } from '../progress';
import { failed, knownAnswers, total } from './job';

/** Tries in a row without an event before watch gives up; waits 1, 2, 4, 8 s between them. */
const MAX_TRIES = 5;
/** The rate is the finished units over this last stretch of time. */
const RATE_WINDOW_MS = 30_000;

/** The volunteers' errors by code, when the coordinator reports them (JobProgress.errors). */
interface ErrorTally {
  readonly code: string;
  readonly count: number;
  readonly example?: { readonly workUnit: string; readonly message: string };
}

export class Rate {
  private samples: { at: number; done: number }[] = [];
  add(at: number, done: number): void {
    this.samples.push({ at, done });
    while (this.samples.length > 2 && at - (this.samples[1] as { at: number }).at >= RATE_WINDOW_MS)
      this.samples.shift();
  }
  /** Units per second over the window, or null before there are two samples apart in time. */
  perSecond(): number | null {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.at <= first.at) return null;
    return ((last.done - first.done) * 1000) / (last.at - first.at);
  }
}

/** Units with a result: the known-answer ones have theirs from the start. */
export const finished = (p: JobProgress): number => p.knownAnswer + p.counts.validated + p.counts.failed;

export async function watch(
  out: Output,
  client: Researcher,
  job: JobId,
  now: () => number = Date.now,
): Promise<ExitCode> {
  const io = out.io;
  const started = now();
  const bar = progress(out, 'finished');
  const rate = new Rate();
  let last: JobProgress | null = null;
  let diagnosis = '';
  let errors = '';
  let failures = 0;
  let lastError: ClientError | null = null;

  const show = (p: JobProgress) => {
    const done = finished(p);
    // Volunteers' pace: known answers added while watching, or found suspect, are not work done.
    rate.add(now(), p.counts.validated + p.counts.failed - p.suspectAnswers);
    const r = rate.perSecond();
    const left = total(p) - done - p.counts.cancelled;
    const eta = r && r > 0 ? duration(left / r) : '?';
    bar.update(
      done,
      total(p),
      `· ${p.knownAnswer > 0 ? `${p.knownAnswer} known · ` : ''}${p.counts.validated} validated · ${failed(p)} · ${r === null ? '–' : r.toFixed(1)}/s · ETA ${eta}`,
    );
    // The diagnosis names its own state ("running: …", "completed: …"); a stall is said outright.
    const why = p.diagnosis.stalled ? `stalled: ${p.diagnosis.why}` : p.diagnosis.why;
    if (why !== diagnosis) {
      bar.log(why);
      diagnosis = why;
    }
    const tallies = (p as JobProgress & { errors?: readonly ErrorTally[] }).errors ?? [];
    const text = tallies
      .map((e) => `${e.code} ×${e.count}${e.example ? ` (e.g. ${e.example.workUnit}: ${e.example.message})` : ''}`)
      .join('; ');
    if (text !== errors) {
      if (text) bar.log(`volunteer errors: ${text}`);
      errors = text;
    }
  };

  try {
    while (failures < MAX_TRIES) {
      for await (const event of client.events(job, io.signal ? { signal: io.signal } : {})) {
        if (event.type === 'error') {
          lastError = event.error;
          break;
        }
        failures = 0;
        last = event.progress;
        show(event.progress);
        if (event.type === 'completed' || event.progress.state === 'completed') {
          bar.stop();
          return summary(out, event.progress, now() - started);
        }
        if (event.progress.state === 'cancelled') {
          bar.stop();
          const p = event.progress;
          return out.fail(
            {
              code: 'job_not_active',
              message: `${job} was cancelled: ${knownAnswers(p)}${p.counts.validated} validated, ${failed(p)}`,
            },
            `Its results so far: bricolage results ${job} --out FILE`,
            EXIT.cancelled,
          );
        }
      }
      // Only a dropped or silent stream is worth another try (the coordinator sends a keep-alive at least every
      // 15 s); a refused token or an unknown job is not.
      if (lastError?.code !== 'network' && lastError?.code !== 'timeout') break;
      failures++;
      if (failures < MAX_TRIES) {
        bar.log(`event stream lost (${lastError.message}); reconnecting`);
        await new Promise((r) => setTimeout(r, 1000 * 2 ** (failures - 1)));
      }
    }
  } finally {
    bar.stop();
  }
  const error = lastError ?? { code: 'network' as const, message: 'the event stream ended' };
  return out.fail(
    error,
    explain(error, client) ?? (last ? `Last seen: ${finished(last)} of ${total(last)} finished.` : undefined),
  );
}

function summary(out: Output, p: JobProgress, ms: number): ExitCode {
  const c = p.counts;
  return out.done(
    {
      job: p.job,
      state: p.state,
      counts: c,
      knownAnswer: p.knownAnswer,
      suspectAnswers: p.suspectAnswers,
      seconds: Math.round(ms / 1000),
    },
    [
      `${p.job} completed: ${knownAnswers(p)}${c.validated} validated, ${failed(p)} (watched ${duration(ms / 1000)})`,
      `results: bricolage results ${p.job} --out results-${p.job}.ndjson`,
    ],
  );
}
