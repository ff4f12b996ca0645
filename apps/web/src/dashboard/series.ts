// A job's progress over time, from its event stream: throughput, active volunteers, and when it will be
// done. Times are the coordinator's (`JobProgress.at`), so a researcher's clock never skews a rate.
import type { JobProgress, JobState } from '@bricolage/protocol';
import { perMinute } from './format';

export interface Sample {
  /** Coordinator time, ms. */
  readonly at: number;
  /** Work units volunteers finished (validated or failed; a known answer found suspect is not their work). */
  readonly finished: number;
  readonly active: number;
}

/** Enough for hours of one sample a second; older samples are thinned, never the recent ones. */
const MAX_SAMPLES = 4000;

export function sampleOf(p: JobProgress): Sample {
  // As `bricolage watch` counts its pace: a known answer found suspect turns failed without anyone computing it.
  return { at: p.at, finished: p.counts.validated + p.counts.failed - p.suspectAnswers, active: p.activeVolunteers };
}

/** Appends a sample (replacing one at the same instant), thinning the older half when there are too many. */
export function addSample(samples: readonly Sample[], s: Sample): Sample[] {
  const last = samples.at(-1);
  if (last && s.at < last.at) return [...samples];
  const next = last && last.at === s.at ? [...samples.slice(0, -1), s] : [...samples, s];
  if (next.length <= MAX_SAMPLES) return next;
  const half = Math.floor(next.length / 2);
  return [...next.slice(0, half).filter((_, i) => i % 2 === 0), ...next.slice(half)];
}

/**
 * Work units finished per minute at each sample, since the last sample at least `windowMs` before it (or
 * the first); null until a second has passed. A stream that went quiet for a while reads as zero.
 */
export function throughput(samples: readonly Sample[], windowMs = 15_000): (number | null)[] {
  const out: (number | null)[] = [];
  let j = 0;
  for (const s of samples) {
    while (j + 1 < samples.length && (samples[j + 1] as Sample).at <= s.at - windowMs) j++;
    const from = samples[j] as Sample;
    const span = s.at - from.at;
    out.push(span >= 1000 ? ((s.finished - from.finished) / span) * 60_000 : null);
  }
  return out;
}

/** Milliseconds until `remaining` units are done at the rate of the last `windowMs`; null without a rate. */
export function eta(samples: readonly Sample[], remaining: number, windowMs = 60_000): number | null {
  if (remaining === 0) return 0;
  const last = samples.at(-1);
  if (!last) return null;
  const first = samples.find((s) => s.at >= last.at - windowMs) as Sample;
  const done = last.finished - first.finished;
  const span = last.at - first.at;
  if (done <= 0 || span < 1000) return null;
  return (remaining / done) * span;
}

/**
 * The throughput chart's caption, and whether there is a run to draw. The samples are only what this page
 * watched: a job that ended before the page opened has no run here, and the caption says so instead of
 * presenting an empty chart as its run.
 */
export function throughputChart(
  state: JobState,
  samples: readonly Sample[],
  watchedRunning: boolean,
): { readonly drawn: boolean; readonly caption: string } {
  if (state === 'active' || state === 'paused')
    return {
      drawn: true,
      caption: `${perMinute(throughput(samples).at(-1) ?? null)} work units finished, over the last 15 s`,
    };
  if (watchedRunning && samples.length > 1)
    return { drawn: true, caption: `the job is ${state}: the chart shows its run` };
  return {
    drawn: false,
    caption: `the job was ${state} before this page opened: the charts cover only what this page watched, so there is no run to chart`,
  };
}
