// How far ahead of the worker the pipeline leases (lease-ahead.ts): the next unit leased and fetched while one
// computes, more kept leased the faster units compute against a lease's round trip, and none ahead without prefetch.
import { describe, expect, it } from 'vitest';
import { MAX_HANDOFF, MAX_LEASED_AHEAD, MAX_PREFETCH } from './pacing';
import type { PipelineClient, PipelineCompute } from './pipeline';
import { fakeClient, fakeCompute, pipelineFor, until } from './fakes';

describe('pipeline leasing ahead', () => {
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
});
