// What a page gives back as it goes (pagehide, page-leave.ts): its unsent results sent, every other unit it held
// given back once (API.release), those still on their way to the worker too, and its lease request still out named;
// after that it asks for nothing until it is shown again (back from the back-forward cache), when it stops the units
// the worker held as it went and carries on.
import type { LeaseRequest } from '@bricolage/protocol';
import { expect, it } from 'vitest';
import type { PipelineClient, PipelineCompute } from './pipeline';
import { MemoryOutbox } from '../outbox';
import { type LeavingClient, UnsentResults, leavePage } from '../page-leave';
import { fakeClient, fakeCompute, pipelineFor, until } from './fakes';

/** The page goes: what it sends (every unsent result, the budget allowing) and what it gives back, recorded. */
function leaves(results: UnsentResults, pipeline: Parameters<typeof leavePage>[2]) {
  const sent: string[] = [];
  const released: string[] = [];
  leavePage(
    results,
    {
      submitOnLeave: (r) => {
        sent.push(...r.map((x) => x.lease));
        return r.length;
      },
      releaseOnLeave: (leases) => void released.push(...leases),
    },
    pipeline,
  );
  return { sent, released };
}

it('sends, as the page goes, its unsent results, and gives back every other unit it held, none twice', async () => {
  const { client, log } = await fakeClient(50);
  // Units past the third wait until the page has gone: the fake computes a batch's units at once, not one after
  // another as the worker does, and without this the whole batch could be done (nothing left to give back) by
  // the time the page goes (CI, twice: `released` was empty).
  const base = fakeCompute(log, { delayMs: 20 });
  let gone: () => void = () => undefined;
  const leaving = new Promise<void>((resolve) => (gone = resolve));
  const compute: PipelineCompute = {
    ...base,
    async run(jobId, input, budget, signal) {
      if (input[0]! > 3) await leaving;
      return base.run(jobId, input, budget, signal);
    },
  };
  const results = new UnsentResults(new MemoryOutbox());
  const { pipeline } = await pipelineFor(client, compute, { outbox: results });
  pipeline.start();
  await until(async () => (await results.size()) >= 3);
  // The first result was delivered: only the others are unsent.
  const [delivered] = await results.peek(1);
  await results.remove([delivered!.id]);
  const { sent, released } = leaves(results, pipeline);
  gone();
  await pipeline.stop('now');
  const leased = log.filter((l) => l.startsWith('lease')).map((l) => `ls_${l.slice(6)}`);
  expect(sent.length).toBeGreaterThan(0);
  expect(sent).not.toContain(delivered!.id);
  expect(released.length).toBeGreaterThan(0);
  // Every lease is delivered, sent or given back, and only one of them.
  expect([delivered!.id, ...sent, ...released].sort()).toEqual([...leased].sort());
});

it('sends, as the page goes, a result still being written to the outbox, and keeps its lease', async () => {
  const { client, log } = await fakeClient(1);
  const outbox = new MemoryOutbox();
  // The write never lands before the page goes (IndexedDB busy).
  let writing = false;
  outbox.putMany = () => {
    writing = true;
    return new Promise<void>(() => undefined);
  };
  const results = new UnsentResults(outbox);
  const { pipeline } = await pipelineFor(client, fakeCompute(log), { outbox: results });
  pipeline.start();
  await until(() => writing);
  const { sent, released } = leaves(results, pipeline);
  expect(sent).toEqual(['ls_1']);
  expect(released).toEqual([]);
  void pipeline.stop('now');
});

it('gives back, as the page goes, a unit taken from the queue and not yet in the worker', async () => {
  const { client, log } = await fakeClient(50);
  const base = fakeCompute([]);
  // Once the first unit is computed, getting the next one ready (checkStart prepares its job again) waits here:
  // the unit has left the queue and is not yet in the worker when the page goes.
  let prepares = 0;
  let gate: (() => void) | null = null;
  const compute: PipelineCompute = {
    ...base,
    async prepare(...args) {
      if (++prepares > 1 && gate === null) await new Promise<void>((resolve) => (gate = resolve));
      return base.prepare(...args);
    },
  };
  const results = new UnsentResults(new MemoryOutbox());
  const { pipeline } = await pipelineFor(client, compute, { outbox: results, prefetch: false });
  pipeline.start();
  await until(() => gate !== null);
  const released: string[] = [];
  leavePage(
    results,
    { submitOnLeave: (r) => r.length, releaseOnLeave: (leases) => void released.push(...leases) },
    pipeline,
  );
  (gate as unknown as () => void)();
  await pipeline.stop('now');
  const leased = log.filter((l) => l.startsWith('lease')).map((l) => `ls_${l.slice(6)}`);
  const sent = results.unsent.map((e) => e.id);
  // The unit waiting to start is given back (it used to be in neither the queue nor the worker, and was kept).
  expect(released.length).toBeGreaterThan(0);
  expect([...sent, ...released].sort()).toEqual([...leased].sort());
});

it('names, as the page goes, its lease request still out, and computes nothing its answer brings after', async () => {
  const { client: plain } = await fakeClient(50);
  let answer: (() => void) | null = null;
  const asked: LeaseRequest[] = [];
  /** The units the second request's answer brings, as lease numbers. */
  let late: number[] | null = null;
  const client: PipelineClient = {
    ...plain,
    // The second request (a refill, sent while the first units compute) is answered only when the test says.
    async lease(request) {
      asked.push(request);
      if (asked.length !== 2) return plain.lease(request);
      await new Promise<void>((resolve) => (answer = resolve));
      const answered = await plain.lease(request);
      late = answered.ok ? answered.value.leases.map((l) => Number(l.lease.slice('ls_'.length))) : [];
      return answered;
    },
  };
  const computed: number[] = [];
  const base = fakeCompute([], { delayMs: 20 });
  const compute: PipelineCompute = {
    ...base,
    run(jobId, input, budget, signal) {
      computed.push(input[0]!);
      return base.run(jobId, input, budget, signal);
    },
  };
  const results = new UnsentResults(new MemoryOutbox());
  const { pipeline, events } = await pipelineFor(client, compute, { outbox: results });
  pipeline.start();
  await until(() => answer !== null);
  const released: string[] = [];
  const named: string[] = [];
  leavePage(
    results,
    {
      submitOnLeave: (r) => r.length,
      releaseOnLeave: (leases, _budget, requests = []) => {
        released.push(...leases);
        named.push(...requests);
      },
    },
    pipeline,
  );
  // Every request has a name of its own, and the one out as the page went is named for the coordinator.
  expect(new Set(asked.map((r) => r.request)).size).toBe(2);
  expect(asked.every((r) => /^[0-9a-f]{32}$/.test(r.request ?? ''))).toBe(true);
  expect(named).toEqual([asked[1]!.request]);
  (answer as unknown as () => void)();
  await until(() => late !== null);
  const brought = late as unknown as number[];
  const isBrought = (lease: string) => brought.includes(Number(lease.slice('ls_'.length)));
  // Past the answer's handling (it awaits nothing more), and past the units in the worker as the page went.
  await until(() => !pipeline.busy);
  await new Promise((r) => setTimeout(r, 50));
  await pipeline.stop('now');
  // The answer's units are the coordinator's again (given back by the request's name): none taken into the queue,
  // none computed, none given back a second time by number; and the page, gone, asked for nothing more.
  expect(asked).toHaveLength(2);
  expect(brought.length).toBeGreaterThan(0);
  expect(events.filter((e) => e.type === 'leased' && isBrought(e.lease))).toEqual([]);
  expect(released.filter(isBrought)).toEqual([]);
  expect(computed.filter((unit) => brought.includes(unit))).toEqual([]);
});

it('asks for nothing more once the page went, though its request out fails as it goes; shown again, it carries on', async () => {
  const { client: plain } = await fakeClient(6);
  const asked: LeaseRequest[] = [];
  const named: string[] = [];
  let drop: (() => void) | null = null;
  const client: PipelineClient = {
    ...plain,
    // The first request is out as the page goes; the browser then drops it (no answer: status 0).
    async lease(request) {
      asked.push(request);
      if (asked.length > 1) return plain.lease(request);
      await new Promise<void>((resolve) => (drop = resolve));
      return { ok: false, error: { code: 'network', message: 'Failed to fetch', status: 0, transient: true } };
    },
    releaseOnLeave: (_leases, _budget, requests = []) => named.push(...requests),
  };
  const results = new UnsentResults(new MemoryOutbox());
  const { pipeline } = await pipelineFor(client, fakeCompute([]), { outbox: results });
  pipeline.start();
  await until(() => drop !== null);
  const leaving: LeavingClient = { submitOnLeave: (r) => r.length, releaseOnLeave: client.releaseOnLeave! };
  leavePage(results, leaving, pipeline);
  (drop as unknown as () => void)();
  // Given time to ask again, it does not: a request sent now would be granted units no one gives back.
  await new Promise((r) => setTimeout(r, 100));
  expect(asked).toHaveLength(1);
  expect(named).toEqual([asked[0]!.request]);
  // Back from the back-forward cache, it leases and computes again.
  pipeline.back();
  await until(async () => (await results.size()) === 6);
  await pipeline.stop();
  expect(asked.length).toBeGreaterThan(1);
});

it('shown again, stops the units the worker held as the page went, whose outcomes may never come, and carries on', async () => {
  const { client } = await fakeClient(4);
  // The first unit's outcome never comes unless it is stopped (a page frozen in the back-forward cache with it in
  // the worker waited for it ever after); the others compute.
  const stopped: number[] = [];
  const base = fakeCompute([]);
  const compute: PipelineCompute = {
    ...base,
    run(jobId, input, budget, signal) {
      const unit = input[0]!;
      if (unit !== 1) return base.run(jobId, input, budget, signal);
      return new Promise((resolve) => {
        signal?.addEventListener('abort', () => {
          stopped.push(unit);
          resolve({ ok: false, code: 'aborted', message: 'stopped' });
        });
      });
    },
  };
  const results = new UnsentResults(new MemoryOutbox());
  const { pipeline } = await pipelineFor(client, compute, { outbox: results, prefetch: false });
  pipeline.start();
  await until(() => pipeline.current !== null);
  leavePage(results, { submitOnLeave: (r) => r.length, releaseOnLeave: () => undefined }, pipeline);
  pipeline.back();
  // The given-back unit is stopped, and the page goes on to the units it leases next.
  await until(async () => (await results.size()) === 3);
  await pipeline.stop();
  expect(stopped).toEqual([1]);
});
