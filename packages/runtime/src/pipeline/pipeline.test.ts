import { type LeaseResponse, fromBase64, readLeaseFrame, writeLeaseFrame } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import type { Interrupted } from '../host';
import { MemoryOutbox } from '../outbox';
import { MAX_HANDOFF, MAX_LEASED_AHEAD, MAX_PREFETCH } from './pacing';
import { Pipeline, type PipelineClient, type PipelineCompute } from './pipeline';
import { restAfter } from './throttle';
import { H, capabilities, fakeClient, fakeCompute, job, pipelineFor, softwareAdapter, until, wgslOnly } from './fakes';

describe('pipeline', () => {
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

  it('computes inputs that came as bytes after the lease answer, and refuses bytes that do not hash to the input', async () => {
    const { client, log } = await fakeClient(3);
    // Through a real frame, so that the inputs are views into one answer's buffer, as they arrive; the second
    // unit's bytes arrived damaged.
    const framed: PipelineClient = {
      ...client,
      async lease(request) {
        const answer = await client.lease(request);
        if (!answer.ok) return answer;
        const inputs = answer.value.leases.map((l) => {
          const bytes = fromBase64(l.input!);
          if (l.lease === 'ls_2') bytes[0] = 99;
          return bytes;
        });
        const read = readLeaseFrame(writeLeaseFrame(answer.value as LeaseResponse, inputs));
        if (!read.ok) throw new Error(read.message);
        return { ok: true, value: read.answer };
      },
    };
    const { pipeline, outbox } = await pipelineFor(framed, fakeCompute(log));
    pipeline.start();
    await until(async () => (await outbox.size()) === 3);
    await pipeline.stop();
    const results = (await outbox.peek(10)).map((e) => e.result);
    expect(results.map((r) => (r.kind === 'ok' ? [r.lease, [...fromBase64(r.output)]] : [r.lease, r.message]))).toEqual(
      [
        ['ls_1', [2, 2, 2, 2]],
        ['ls_2', 'the inline input does not match its hash'],
        ['ls_3', [6, 6, 6, 6]],
      ],
    );
    expect(log.filter((l) => l.startsWith('run'))).toEqual(['run 1', 'run 3']);
  });

  it('reports an inline input that is not base64 as an error result and goes on', async () => {
    const { client, log } = await fakeClient(2);
    const garbled: PipelineClient = {
      ...client,
      async lease(request) {
        const answer = await client.lease(request);
        if (!answer.ok) return answer;
        const leases = answer.value.leases.map((l) => (l.lease === 'ls_1' ? { ...l, input: 'A' } : l));
        return { ok: true, value: { ...answer.value, leases } };
      },
    };
    const { pipeline, outbox } = await pipelineFor(garbled, fakeCompute(log));
    pipeline.start();
    await until(async () => (await outbox.size()) === 2);
    await pipeline.stop();
    expect((await outbox.peek(10)).map((e) => [e.result.lease, e.result.kind])).toEqual([
      ['ls_1', 'error'],
      ['ls_2', 'ok'],
    ]);
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
