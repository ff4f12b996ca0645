// What becomes of each unit the pipeline leases: computed on the backend its lease names, from inputs checked against
// their hashes, and its result or its failure put in the outbox; run again if the worker was replaced before it began,
// nothing kept if stopped now or expired first. How far it leases ahead, its throttle, a pause and a coordinator with
// no work are lease-ahead, throttle-pipeline, pause and no-work.test.ts; the hand-off to the worker handoff.test.ts.
import { type LeaseResponse, fromBase64, readLeaseFrame, writeLeaseFrame } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import type { Interrupted } from '../host';
import type { PipelineClient, PipelineCompute } from './pipeline';
import { H, fakeClient, fakeCompute, job, pipelineFor, softwareAdapter, until, wgslOnly } from './fakes';

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
    expect(entry?.result).toMatchObject({
      kind: 'error',
      code: 'unsupported',
      message: expect.stringMatching(/has no WebGPU/),
    });
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
});
