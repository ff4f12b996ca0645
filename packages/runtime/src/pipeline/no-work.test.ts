// The pipeline when the coordinator leases it nothing: not waiting for work while units it holds are still to run,
// asking again as soon as results are accepted when the room was full, waiting out the wait when the grid had no
// work. Its wait through an outage is outage.test.ts's.
import { describe, expect, it } from 'vitest';
import { fakeClient, fakeCompute, pipelineFor, until } from './fakes';

describe('pipeline without work to lease', () => {
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

  it('says why the coordinator holds work back from the key, once, and that it no longer does once it leases again', async () => {
    // The page tells "no work" from "your key is held back until 14:05": the coordinator says which in its answer.
    const { client, log } = await fakeClient(2);
    // The coordinator's clock may be off this device's: until when is read from the wait it asks for (60 s).
    const theirs = 1_700_000_000_000;
    let held = 2;
    const lease = client.lease.bind(client);
    client.lease = async (request) => {
      if (held-- > 0)
        return {
          ok: true,
          value: { leases: [], jobs: [], retryAfter: 60, full: false, heldBack: { why: 'errors', until: theirs } },
        };
      return lease(request);
    };
    const { pipeline, outbox, events } = await pipelineFor(client, fakeCompute(log));
    const told = () => events.filter((e) => e.type === 'held-back');
    const asked = Date.now();
    pipeline.start();
    await until(() => held < 0 && pipeline.heldBack === null);
    // Told once for two answers alike, then once it leased again.
    expect(told()).toEqual([
      { type: 'held-back', heldBack: { why: 'errors', until: expect.any(Number) } },
      { type: 'held-back', heldBack: null },
    ]);
    const shown = (told()[0] as { heldBack: { until: number } }).heldBack.until;
    expect(shown).toBeGreaterThanOrEqual(asked + 60_000);
    expect(shown).toBeLessThan(Date.now() + 60_000);
    await until(async () => (await outbox.size()) === 2);
    // An answer of nothing that says nothing of the key (the grid has no work) holds nothing back.
    await until(() => pipeline.waiting);
    expect(pipeline.heldBack).toBeNull();
    expect(told()).toHaveLength(2);
    await pipeline.stop();
  });
});
