// The throttle through the pipeline (the arithmetic is throttle.test.ts's): a rest after each unit in proportion to
// its compute time, at a share below 10 % too, and the speeds its lease requests report scaled by the duty cycle.
import { describe, expect, it } from 'vitest';
import type { PipelineClient } from './pipeline';
import { restAfter } from './throttle';
import { fakeClient, fakeCompute, job, pipelineFor, until } from './fakes';

describe('pipeline throttled', () => {
  it('reports its measured speed on a job with the lease requests that follow, scaled by the throttle', async () => {
    const { client, log } = await fakeClient(12);
    const asked: (readonly { job: string; unitsPerSecond: number }[] | undefined)[] = [];
    const recording: PipelineClient = {
      ...client,
      lease: (request) => {
        asked.push(request.capabilities.speeds);
        return client.lease(request);
      },
    };
    const { pipeline, outbox } = await pipelineFor(recording, fakeCompute(log, { delayMs: 10 }), { throttle: 0.5 });
    pipeline.start();
    await until(async () => (await outbox.size()) === 12);
    await pipeline.stop();
    expect(asked[0]).toBeUndefined();
    const last = asked.at(-1);
    expect(last?.map((s) => s.job)).toEqual([job.id]);
    // Each unit takes its 10 ms or more (Node's timers may fire a fraction of a millisecond early): at half
    // duty, about 50 units/s at most; the scaling itself is speeds.test.ts's.
    expect(last![0]!.unitsPerSecond).toBeGreaterThan(0);
    expect(last![0]!.unitsPerSecond).toBeLessThan(60);
  });

  it('rests after each work unit in proportion to its compute time at a lower duty cycle', async () => {
    const { client, log } = await fakeClient(6);
    const { pipeline, outbox, events } = await pipelineFor(client, fakeCompute(log, { delayMs: 20 }), {
      throttle: 0.25,
    });
    pipeline.start();
    await until(async () => (await outbox.size()) === 4);
    await pipeline.stop('now');
    // However slow the machine, each work unit starts no sooner than three times the last one's compute time
    // after it ended: a timer can fire late, never early.
    const spans = events.flatMap((e) => (e.type === 'computed' ? [{ start: e.startedAt, end: e.endedAt }] : []));
    expect(spans.length).toBeGreaterThanOrEqual(4);
    for (const [i, span] of spans.slice(1).entries()) {
      const previous = spans[i]!;
      expect(previous.end - previous.start).toBeGreaterThan(0);
      expect(span.start - previous.end).toBeGreaterThanOrEqual(restAfter(previous.end - previous.start, 0.25) - 1e-6);
    }
  });

  it('rests for a share below 10 % of a core, as a throttle split between several grids gives it', async () => {
    const { client, log } = await fakeClient(4);
    const { pipeline, outbox, events } = await pipelineFor(client, fakeCompute(log, { delayMs: 2 }), {
      throttle: 0.1 / 3,
    });
    pipeline.start();
    await until(async () => (await outbox.size()) === 2);
    await pipeline.stop('now');
    const spans = events.flatMap((e) => (e.type === 'computed' ? [{ start: e.startedAt, end: e.endedAt }] : []));
    const [first, second] = spans;
    // At the old 10 % floor the rest would have been 9 × the compute time; a third of 10 % is 29 ×.
    expect(second!.start - first!.end).toBeGreaterThanOrEqual(restAfter(first!.end - first!.start, 0.1 / 3) - 1e-6);
    expect(restAfter(first!.end - first!.start, 0.1 / 3)).toBeGreaterThan(
      restAfter(first!.end - first!.start, 0.1) * 3,
    );
  });
});
