import type { Capabilities, LeasedJob } from '@bricolage/protocol';
import { fromBase64 } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { IN_FLIGHT } from '../compute/api';
import type { Interrupted } from '../host';
import { MemoryOutbox } from '../outbox';
import { MAX_HANDOFF, MAX_LEASED_AHEAD, MAX_PREFETCH } from './pacing';
import { Pipeline, type PipelineClient, type PipelineCompute } from './pipeline';
import { restAfter } from './throttle';
import { H, capabilities, fakeClient, fakeCompute, job, pipelineFor, until } from './fakes';

describe('pipeline', () => {
  // A software adapter whose calibration prefers the wasm twin, and a job that has none.
  const softwareAdapter: Capabilities = {
    ...capabilities,
    webgpu: {
      vendor: 'google',
      architecture: 'swiftshader',
      description: '',
      isFallbackAdapter: true,
      limits: {
        maxStorageBufferBindingSize: 1 << 30,
        maxBufferSize: 1 << 30,
        maxUniformBufferBindingSize: 65536,
        maxComputeWorkgroupsPerDimension: 65535,
        maxComputeInvocationsPerWorkgroup: 256,
        maxComputeWorkgroupStorageSize: 32768,
        maxStorageBuffersPerShaderStage: 8,
      },
      features: [],
    },
  };
  const { wasm: _twin, ...wgslOnly } = job.spec as Extract<LeasedJob['spec'], { kind: 'wgsl' }>;

  it('runs a job on the backend its lease names, even where calibration prefers another', async () => {
    const { client, log } = await fakeClient(2, { job: { ...job, spec: wgslOnly, backend: 'webgpu' } });
    const prepared: string[] = [];
    const compute = fakeCompute(log, { prepared });
    const { pipeline, outbox } = await pipelineFor(client, compute, { capabilities: softwareAdapter });
    pipeline.start();
    await until(async () => (await outbox.size()) === 2);
    await pipeline.stop();
    expect((await outbox.peek(10)).map((e) => e.result.kind)).toEqual(['ok', 'ok']);
    expect(new Set(prepared)).toEqual(new Set(['webgpu']));
  });

  it('reports a leased backend this device cannot run as unsupported, and computes nothing', async () => {
    const { client, log } = await fakeClient(1, { job: { ...job, spec: wgslOnly, backend: 'webgpu' } });
    const prepared: string[] = [];
    const { pipeline, outbox } = await pipelineFor(client, fakeCompute(log, { prepared }));
    pipeline.start();
    await until(async () => (await outbox.size()) === 1);
    await pipeline.stop();
    const [entry] = await outbox.peek(10);
    expect(entry?.result).toMatchObject({ kind: 'error', code: 'unsupported', message: /has no WebGPU/ });
    expect(prepared).toEqual([]);
    expect(log.filter((l) => l.startsWith('run'))).toEqual([]);
  });

  it('computes every leased work unit and puts its result in the outbox', async () => {
    const { client, log } = await fakeClient(3);
    const { pipeline, outbox } = await pipelineFor(client, fakeCompute(log));
    pipeline.start();
    await until(async () => (await outbox.size()) === 3);
    await pipeline.stop();
    const results = (await outbox.peek(10)).map((e) => e.result);
    expect(results.map((r) => r.kind === 'ok' && [r.lease, [...fromBase64(r.output)], r.backend])).toEqual([
      ['ls_1', [2, 2, 2, 2], 'wasm'],
      ['ls_2', [4, 4, 4, 4], 'wasm'],
      ['ls_3', [6, 6, 6, 6], 'wasm'],
    ]);
    expect(pipeline.counts).toEqual({ leased: 3, computed: 3, failed: 0 });
  });

  it('leases and fetches the next work unit while the current one computes', async () => {
    const { client, log } = await fakeClient(4);
    const { pipeline, outbox } = await pipelineFor(client, fakeCompute(log, { delayMs: 30 }));
    pipeline.start();
    await until(async () => (await outbox.size()) === 4);
    await pipeline.stop();
    // Three leased up front (the one computing, the one handed to the worker behind it, one ahead);
    // the second is handed to the worker before the first is done, so that it goes straight on to it.
    expect(log.slice(0, 3)).toEqual(['lease 1', 'lease 2', 'lease 3']);
    expect(log.indexOf('lease 4')).toBeLessThan(log.indexOf('done 1'));
    expect(log.indexOf('run 2')).toBeLessThan(log.indexOf('done 1'));
  });

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

  /** `inner`, computing at most `atOnce` units at a time like the real worker, counting how many it holds. */
  function workerLike(inner: PipelineCompute, atOnce: number) {
    let held = 0;
    let running = 0;
    const stats = { most: 0 };
    const waiting: (() => void)[] = [];
    const compute: PipelineCompute = {
      prepare: inner.prepare,
      async run(...args) {
        stats.most = Math.max(stats.most, ++held);
        if (running >= atOnce) await new Promise<void>((r) => waiting.push(r));
        running++;
        try {
          return await inner.run(...args);
        } finally {
          running--;
          held--;
          waiting.shift()?.();
        }
      },
    };
    return { compute, stats };
  }

  /**
   * Compute whose units take `ms` each on a clock the test moves (whatever this machine's load). Each span is
   * given when the unit is handed over, in the order a worker runs them, not in the order the fake's hashing
   * happens to finish: under load it did not, and spans out of order shrank the pipeline's measure.
   */
  function timedCompute(log: string[], ms: number, clock: { t: number }): PipelineCompute {
    const inner = fakeCompute(log);
    return {
      prepare: inner.prepare,
      async run(...args) {
        const startedAt = clock.t;
        clock.t += ms;
        const outcome = await inner.run(...args);
        return outcome.ok ? { ...outcome, startedAt, endedAt: startedAt + ms } : outcome;
      },
    };
  }

  /**
   * A worker whose units take 1 ms of the test clock each, with `calls` the units of each call to it (1 for `run`).
   * Each unit's span is given in the order of the call, as a worker runs them, not in the order the fake's hashing
   * happens to finish (under load it did not, and spans out of order shrank the measure).
   */
  function oneMillisecondUnits(log: string[], t: { t: number }): { compute: PipelineCompute; calls: number[] } {
    const single = timedCompute(log, 1, t);
    const inner = fakeCompute(log);
    const calls: number[] = [];
    const compute: PipelineCompute = {
      ...single,
      run(...args) {
        calls.push(1);
        return single.run(...args);
      },
      runMany(jobId, inputs, budget, signal) {
        calls.push(inputs.length);
        return inputs.map(async (input) => {
          const startedAt = t.t;
          t.t += 1;
          const outcome = await inner.run(jobId, input, budget, signal);
          return outcome.ok ? { ...outcome, startedAt, endedAt: startedAt + 1 } : outcome;
        });
      },
    };
    return { compute, calls };
  }

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
    // Once measured, every call but the last holds a whole batch (25 ms of 1 ms units): the worker holds up to 256
    // units ahead, and topping it up one per unit done made most calls hold one.
    const measured = batches.slice(batches.indexOf(25), -1);
    expect(measured.length).toBeGreaterThan(30);
    expect(measured.every((n) => n === 25)).toBe(true);
  });

  it('hands the worker units of a millisecond by the dozen, so that it never waits on the page', async () => {
    // Each unit takes 1 ms on a clock the test moves, whatever this machine's load.
    let t = 0;
    const clock = { now: () => Date.now(), monotonic: () => t };
    const { client, log } = await fakeClient(600);
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
    await until(async () => (await outbox.size()) === 600);
    await pipeline.stop();
    // A second of 1 ms units, as many as the handoff's cap, and the one computing: not the 2 of long units.
    expect(stats.most).toBe(MAX_HANDOFF + 1);
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

  it('runs again a work unit that never started because the worker was replaced', async () => {
    const { client, log } = await fakeClient(2);
    let replaced = false;
    const compute = fakeCompute(log, {
      override: (first) => {
        if (first !== 2 || replaced) return undefined;
        replaced = true;
        return { ok: false, code: 'restarted', message: 'the worker was replaced before this work unit started' };
      },
    });
    const { pipeline, outbox } = await pipelineFor(client, compute);
    pipeline.start();
    await until(async () => (await outbox.size()) === 2);
    await pipeline.stop();
    expect((await outbox.peek(10)).map((e) => [e.id, e.result.kind])).toEqual([
      ['ls_1', 'ok'],
      ['ls_2', 'ok'],
    ]);
    expect(log.filter((l) => l === 'run 2')).toHaveLength(2);
  });

  it('keeps more work units leased ahead when they compute faster than a lease arrives', async () => {
    // Durations on a clock the test moves: a lease takes 30 ms, a work unit 2 ms, whatever this machine's load.
    let t = 0;
    const clock = { now: () => Date.now(), monotonic: () => t };
    const { client, log } = await fakeClient(60);
    const asked: number[] = [];
    const slow: PipelineClient = {
      ...client,
      async lease(request) {
        asked.push(request.max ?? 1);
        t += 30;
        return client.lease(request);
      },
    };
    const timed: PipelineCompute = {
      prepare: async () => ({ ok: true }),
      async run(jobId, input, budget, signal) {
        const startedAt = t;
        t += 2;
        const outcome = await fakeCompute(log).run(jobId, input, budget, signal);
        return outcome.ok ? { ...outcome, startedAt, endedAt: startedAt + 2 } : outcome;
      },
    };
    const { pipeline, outbox } = await pipelineFor(slow, timed, { clock });
    pipeline.start();
    await until(async () => (await outbox.size()) >= 40);
    await pipeline.stop('now');
    // Before anything is measured: the one to run, one handed to the worker ahead, one more.
    expect(asked[0]).toBe(3);
    // 30 ms leases for 2 ms work units: at least twice the lease's 30 ms in units (30, more as units take time
    // to get ready), beyond the units kept ready; plus those handed to the worker and the one to run now,
    // never past MAX_LEASED_AHEAD of them.
    expect(Math.max(...asked)).toBeGreaterThanOrEqual(30 - 1);
    expect(Math.max(...asked)).toBeGreaterThan(MAX_PREFETCH);
    expect(Math.max(...asked)).toBeLessThanOrEqual(MAX_LEASED_AHEAD + MAX_HANDOFF + 1);
  });

  it('without prefetch, leases only when the previous work unit is done', async () => {
    const { client, log } = await fakeClient(3);
    const { pipeline, outbox } = await pipelineFor(client, fakeCompute(log), { prefetch: false });
    pipeline.start();
    await until(async () => (await outbox.size()) === 3);
    await pipeline.stop();
    expect(log).toEqual(['lease 1', 'run 1', 'done 1', 'lease 2', 'run 2', 'done 2', 'lease 3', 'run 3', 'done 3']);
  });

  it('reports a timed-out work unit as an error result and goes on with the next', async () => {
    const { client, log } = await fakeClient(2);
    const compute = fakeCompute(log, {
      override: (first) => (first === 1 ? { ok: false, code: 'timeout', message: 'killed at 1000 ms' } : undefined),
    });
    const { pipeline, outbox, events } = await pipelineFor(client, compute);
    pipeline.start();
    await until(async () => (await outbox.size()) === 2);
    await pipeline.stop();
    const [first, second] = (await outbox.peek(10)).map((e) => e.result);
    expect(first).toMatchObject({ kind: 'error', lease: 'ls_1', code: 'timeout', backend: 'wasm' });
    expect(second).toMatchObject({ kind: 'ok', lease: 'ls_2' });
    expect(events.filter((e) => e.type === 'failed')).toHaveLength(1);
  });

  it('never submits an output that fails the self-check, nor one from a lost device', async () => {
    const { client, log } = await fakeClient(2);
    const compute = fakeCompute(log, {
      override: (first) =>
        first === 1
          ? { ok: true, output: new Uint8Array(3), outputHash: H, backend: 'webgpu', elapsedMs: 1 }
          : { ok: false, code: 'device_lost', message: 'the WebGPU device was lost', backend: 'webgpu' },
    });
    const { pipeline, outbox } = await pipelineFor(client, compute);
    pipeline.start();
    await until(async () => (await outbox.size()) === 2);
    await pipeline.stop();
    const results = (await outbox.peek(10)).map((e) => e.result);
    expect(results.map((r) => r.kind === 'error' && r.code)).toEqual(['self_check_failed', 'device_lost']);
  });

  it('submits nothing for a computation aborted by stop("now")', async () => {
    const { client, log } = await fakeClient(1);
    let release: (o: Interrupted) => void = () => undefined;
    const compute: PipelineCompute = {
      prepare: async () => ({ ok: true }),
      run: (_job, _input, _budget, signal) =>
        new Promise((resolve) => {
          log.push('run');
          release = resolve;
          signal?.addEventListener('abort', () => resolve({ ok: false, code: 'aborted', message: 'aborted' }));
        }),
    };
    const { pipeline, outbox } = await pipelineFor(client, compute);
    pipeline.start();
    await until(() => log.includes('run'));
    await pipeline.stop('now');
    release({ ok: false, code: 'aborted', message: 'late' });
    expect(await outbox.size()).toBe(0);
  });

  it('skips a work unit whose lease expired before it could start', async () => {
    const { client, log } = await fakeClient(1, { deadline: Date.now() - 1 });
    const { pipeline, outbox, events } = await pipelineFor(client, fakeCompute(log));
    pipeline.start();
    await until(() => events.some((e) => e.type === 'warning' && e.message.includes('expired')));
    await pipeline.stop();
    expect(log).not.toContain('run 1');
    expect(await outbox.size()).toBe(0);
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

  it('stays busy after a pause until every unit in the worker has its result recorded', async () => {
    // The outbox holds its writes until released: a unit that finished computing is still the pipeline's
    // until its result is stored, so a paused volunteer reads 'pausing', not 'paused', meanwhile.
    const { client, log } = await fakeClient(4);
    const outbox = new MemoryOutbox();
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const putMany = outbox.putMany.bind(outbox);
    outbox.putMany = async (entries) => {
      await held;
      return putMany(entries);
    };
    const pipeline = new Pipeline({
      client,
      compute: fakeCompute(log),
      assets: async () => new Map(),
      outbox,
      capabilities,
      onResult: () => undefined,
      emit: () => undefined,
      maxIdleWaitMs: 20,
    });
    pipeline.start();
    await until(() => log.includes('done 1'));
    pipeline.pause();
    // Every unit handed to the worker finishes computing; none is recorded yet.
    await until(() => log.filter((l) => l.startsWith('run')).length === log.filter((l) => l.startsWith('done')).length);
    expect(pipeline.busy).toBe(true);
    expect(pipeline.counts.computed).toBe(0);
    release();
    await until(() => !pipeline.busy);
    const ran = log.filter((l) => l.startsWith('done')).length;
    expect(pipeline.counts.computed).toBe(ran);
    expect(await outbox.size()).toBe(ran);
    await pipeline.stop();
  });

  it('is not waiting for work while leased units are still to run, though the coordinator had no more', async () => {
    // The page shows "No work right now" while the pipeline is waiting and nothing computes: between two
    // queued units it must not, just because a prefetch found the coordinator empty.
    const { client, log } = await fakeClient(3);
    let empty = 0;
    const lease = client.lease.bind(client);
    client.lease = async (request) => {
      const answer = await lease(request);
      if (answer.ok && answer.value.leases.length === 0) empty++;
      return answer;
    };
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const compute = fakeCompute(log);
    const run = compute.run.bind(compute);
    compute.run = async (job, input, budgetMs) => {
      await gate;
      return run(job, input, budgetMs);
    };
    const { pipeline, outbox } = await pipelineFor(client, compute);
    pipeline.start();
    await until(() => log.includes('lease 3') && empty > 0);
    expect(pipeline.waiting).toBe(false);
    release();
    await until(async () => (await outbox.size()) === 3);
    await until(() => pipeline.waiting);
    await pipeline.stop();
  });

  it('asks for leases again as soon as results are accepted, after the coordinator said its room was full', async () => {
    // A coordinator that lets this key hold 2 leases, results not yet accepted included, and says "ask in a
    // minute" when they are all taken: only the acceptance of results can bring the next units in time.
    const { client, log } = await fakeClient(4);
    let held = 0;
    const lease = client.lease.bind(client);
    client.lease = async (request) => {
      const room = 2 - held;
      if (room <= 0) return { ok: true, value: { leases: [], jobs: [], retryAfter: 60, full: true } };
      const answer = await lease({ ...request, max: Math.min(request.max ?? 1, room) });
      if (answer.ok) held += answer.value.leases.length;
      return answer;
    };
    const { pipeline, outbox } = await pipelineFor(client, fakeCompute(log), { maxIdleWaitMs: 60_000 });
    pipeline.start();
    const accept = async () => {
      const entries = await outbox.peek(10);
      await outbox.remove(entries.map((e) => e.id));
      held -= entries.length;
      pipeline.resultsAccepted();
    };
    await until(async () => (await outbox.size()) === 2 && pipeline.waiting);
    await accept();
    await until(async () => (await outbox.size()) === 2 && log.includes('done 4'), 5_000);
    await accept();
    expect(log.filter((l) => l.startsWith('done'))).toEqual(['done 1', 'done 2', 'done 3', 'done 4']);
    await pipeline.stop();
  });

  it("waits out the coordinator's wait after accepted results when it said the grid had no work, not a full room", async () => {
    const { client, log } = await fakeClient(2);
    let asked = 0;
    const lease = client.lease.bind(client);
    client.lease = async (request) => {
      asked++;
      const answer = await lease(request);
      if (answer.ok && answer.value.leases.length === 0)
        return { ok: true, value: { ...answer.value, retryAfter: 60, full: false } };
      return answer;
    };
    const { pipeline, outbox } = await pipelineFor(client, fakeCompute(log), { maxIdleWaitMs: 60_000 });
    pipeline.start();
    await until(async () => (await outbox.size()) === 2 && pipeline.waiting);
    const before = asked;
    pipeline.resultsAccepted();
    await new Promise((r) => setTimeout(r, 50));
    expect(asked).toBe(before);
    await pipeline.stop();
  });

  it('takes no new work while paused and resumes where it stopped', async () => {
    const { client, log } = await fakeClient(3);
    const { pipeline, outbox } = await pipelineFor(client, fakeCompute(log, { delayMs: 10 }));
    pipeline.pause();
    pipeline.start();
    await new Promise((r) => setTimeout(r, 50));
    expect(log.filter((l) => l.startsWith('run'))).toEqual([]);
    pipeline.resume();
    await until(async () => (await outbox.size()) === 3);
    await pipeline.stop();
  });
});
