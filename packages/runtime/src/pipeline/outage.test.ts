// The pipeline through a coordinator outage: lease requests that get no answer back off (up to 30 s), and the
// coordinator answering again (the page's check saw it, or it took results) ends that wait, as it ends a "no work"
// wait from before the outage when the page saw it; an error answer's backoff (429, 5xx) stands.
import { describe, expect, it } from 'vitest';
import type { ClientFailure } from '../client/coordinator-client';
import { fakeClient, fakeCompute, pipelineFor, until } from './fakes';

const UNREACHABLE: ClientFailure = { code: 'network', message: 'fetch failed', status: 0, transient: true };
const THROTTLED: ClientFailure = { code: 'rate_limited', message: 'slow down', status: 429, transient: true };

/** A coordinator that hands out one unit per lease, and fails every lease with `failure` while `down` is set. */
async function flakyCoordinator(failure: ClientFailure) {
  const { client, log } = await fakeClient(4);
  const state = { down: false, asked: 0 };
  const lease = client.lease.bind(client);
  client.lease = async (request) => {
    state.asked++;
    if (state.down) return { ok: false, error: failure };
    return lease({ ...request, max: 1 });
  };
  // A clock that stands still: a backoff, once begun, never ends by itself, so only a wake can end it.
  const clock = { now: () => Date.now(), monotonic: () => 0 };
  const { pipeline, outbox, events } = await pipelineFor(client, fakeCompute(log), { clock, prefetch: false });
  // The failed lease's answer handled (its backoff begun), not merely asked for.
  const failedOnce = () => events.some((e) => e.type === 'warning' && e.message.startsWith('lease failed'));
  return { pipeline, outbox, log, state, failedOnce };
}

describe('pipeline through an outage', () => {
  it('leases again as soon as the coordinator is back and takes results, not at the end of its backoff', async () => {
    const { pipeline, outbox, log, state, failedOnce } = await flakyCoordinator(UNREACHABLE);
    state.down = true;
    pipeline.start();
    await until(failedOnce);
    // As the outbox does when the coordinator takes the results kept through the outage.
    state.down = false;
    pipeline.resultsAccepted();
    await until(() => log.includes('done 1'), 5_000);
    // Once back, it goes on through the rest of the job (4 units) as fast as it can: at least the first in the outbox.
    await until(async () => (await outbox.size()) >= 1);
    expect(state.asked).toBeGreaterThanOrEqual(2);
    await pipeline.stop();
  });

  it('leases again as soon as the page sees the coordinator back, with no results to deliver', async () => {
    const { pipeline, outbox, log, state, failedOnce } = await flakyCoordinator(UNREACHABLE);
    state.down = true;
    pipeline.start();
    await until(failedOnce);
    expect(await outbox.size()).toBe(0);
    state.down = false;
    expect(pipeline.coordinatorBack()).toBe(true);
    await until(() => log.includes('done 1'), 5_000);
    // Told twice (the check and an accepted submit), it wakes once: the backoff is already over.
    expect(pipeline.coordinatorBack()).toBe(false);
    await pipeline.stop();
  });

  it('asks again as soon as the page sees the coordinator back, though its last answer before was no work', async () => {
    const { client, log } = await fakeClient(4);
    const state = { empty: true };
    const lease = client.lease.bind(client);
    client.lease = async (request) =>
      state.empty ? { ok: true, value: { leases: [], jobs: [], retryAfter: 10 } } : lease({ ...request, max: 1 });
    const clock = { now: () => Date.now(), monotonic: () => 0 };
    const { pipeline } = await pipelineFor(client, fakeCompute(log), { clock, prefetch: false });
    pipeline.start();
    await until(() => pipeline.waiting);
    // Work came while the page was cut off, before its "no work" wait ended (a clock that stands still: never).
    state.empty = false;
    pipeline.outageOver();
    // That answer no longer stands: the page does not say "No work right now" on the strength of it.
    expect(pipeline.waiting).toBe(false);
    await until(() => log.includes('done 1'), 5_000);
    await pipeline.stop();
  });

  it("waits out an error answer's backoff (429) though results are accepted meanwhile", async () => {
    const { pipeline, log, state, failedOnce } = await flakyCoordinator(THROTTLED);
    state.down = true;
    pipeline.start();
    await until(failedOnce);
    state.down = false;
    expect(pipeline.coordinatorBack()).toBe(false);
    pipeline.resultsAccepted();
    await new Promise((r) => setTimeout(r, 300));
    expect(state.asked).toBe(1);
    expect(log.filter((l) => l.startsWith('done'))).toEqual([]);
    await pipeline.stop('now');
  });
});
