// How the pipeline hands work units to the worker: how many ahead, how many to a call, and none when throttled.
import { fromBase64 } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { IN_FLIGHT } from '../compute/api';
import { MAX_HANDOFF } from './pacing';
import type { PipelineCompute } from './pipeline';
import {
  fakeClient,
  fakeCompute,
  job,
  oneMillisecondUnits,
  pipelineFor,
  softwareAdapter,
  timedCompute,
  until,
  wgslOnly,
  workerLike,
} from './fakes';

describe('pipeline hand-off to the worker', () => {
  it('hands the worker one unit behind a long wasm unit, and a WebGPU job at least its ring', async () => {
    for (const [backend, spec, atLeast, atMost] of [
      ['wasm', job.spec, 2, 2],
      ['webgpu', wgslOnly, IN_FLIGHT.webgpu + 1, MAX_HANDOFF + 1],
    ] as const) {
      const t = { t: 0 };
      const { client, log } = await fakeClient(12, { job: { ...job, spec, backend } });
      const { compute, stats } = workerLike(timedCompute(log, 1500, t), IN_FLIGHT[backend]);
      const clock = { now: () => Date.now(), monotonic: () => t.t };
      const { pipeline, outbox } = await pipelineFor(client, compute, { capabilities: softwareAdapter, clock });
      pipeline.start();
      await until(async () => (await outbox.size()) === 12);
      await pipeline.stop();
      expect(stats.most, backend).toBeGreaterThanOrEqual(atLeast);
      expect(stats.most, backend).toBeLessThanOrEqual(atMost);
      // Results still land in lease order.
      expect((await outbox.peek(20)).map((e) => e.id)).toEqual(Array.from({ length: 12 }, (_, i) => `ls_${i + 1}`));
    }
  });

  it('posts short units to the worker several to a call, and each still gets its own result', async () => {
    const t = { t: 0 };
    const { client, log } = await fakeClient(120);
    const { compute, calls: batches } = oneMillisecondUnits(log, t);
    const clock = { now: () => Date.now(), monotonic: () => t.t };
    const { pipeline, outbox } = await pipelineFor(client, compute, { clock });
    pipeline.start();
    await until(async () => (await outbox.size()) === 120);
    await pipeline.stop();
    // 25 ms of 1 ms units to a call once measured (the first calls, before that, hold one).
    expect(Math.max(...batches)).toBe(25);
    const results = (await outbox.peek(200)).map((e) => e.result);
    expect(results.map((r) => r.lease)).toEqual(Array.from({ length: 120 }, (_, i) => `ls_${i + 1}`));
    expect(results.every((r, i) => r.kind === 'ok' && fromBase64(r.output)[0] === 2 * (i + 1))).toBe(true);
  });

  it('tops the worker up a whole batch at a time, not one call per unit done', async () => {
    const t = { t: 0 };
    const { client, log } = await fakeClient(900);
    const { compute, calls: batches } = oneMillisecondUnits(log, t);
    const clock = { now: () => Date.now(), monotonic: () => t.t };
    const { pipeline, outbox } = await pipelineFor(client, compute, { clock });
    pipeline.start();
    await until(async () => (await outbox.size()) === 900);
    await pipeline.stop();
    expect((await outbox.peek(1000)).length).toBe(900);
    // Once measured, every call but the last holds a whole batch (25 ms of 1 ms units): the worker holds up to a second of
    // units ahead, and topping it up one per unit done made most calls hold one.
    const measured = batches.slice(batches.indexOf(25), -1);
    expect(measured.length).toBeGreaterThan(30);
    expect(measured.every((n) => n === 25)).toBe(true);
  });

  it('hands the worker units of a millisecond by the dozen, so that it never waits on the page', async () => {
    // Each unit takes 1 ms on a clock the test moves, whatever this machine's load.
    let t = 0;
    const clock = { now: () => Date.now(), monotonic: () => t };
    const { client, log } = await fakeClient(1500);
    const inner = fakeCompute(log);
    const timed: PipelineCompute = {
      prepare: inner.prepare,
      async run(...args) {
        const outcome = await inner.run(...args);
        const startedAt = t++;
        return outcome.ok ? { ...outcome, startedAt, endedAt: t } : outcome;
      },
    };
    const { compute, stats } = workerLike(timed, 1);
    const { pipeline, outbox } = await pipelineFor(client, compute, { clock });
    pipeline.start();
    await until(async () => (await outbox.size()) === 1500);
    await pipeline.stop();
    // A second of 1 ms units (within the handoff's cap) and the one computing: not the 2 of long units.
    expect(stats.most).toBe(Math.min(1000, MAX_HANDOFF) + 1);
  });

  it('hands the worker nothing ahead when throttled, so that it can rest between work units', async () => {
    const { client, log } = await fakeClient(3);
    const { pipeline, outbox } = await pipelineFor(client, fakeCompute(log, { delayMs: 5 }), { throttle: 0.5 });
    pipeline.start();
    await until(async () => (await outbox.size()) === 3);
    await pipeline.stop();
    const runs = log.filter((l) => !l.startsWith('lease'));
    expect(runs).toEqual(['run 1', 'done 1', 'run 2', 'done 2', 'run 3', 'done 3']);
  });
});
