// A page's leases across its life: starting afresh, it takes back its key's open leases (resumeAfter) before new
// ones, going on where each answer stopped, computing none whose result already waits in its outbox; going, it
// gives back what it will not compute (API.release); and so does a pause that lasts.
import type { BlobHash, LeaseId, LeaseRequest, WorkUnitId } from '@bricolage/protocol';
import { sha256Hex, toBase64 } from '@bricolage/protocol';
import { expect, it } from 'vitest';
import type { PipelineClient, PipelineCompute } from './pipeline';
import { MemoryOutbox } from '../outbox';
import { type LeavingClient, UnsentResults, leavePage } from '../page-leave';
import { fakeClient, fakeCompute, job, pipelineFor, until } from './fakes';

/** A coordinator holding leases 1–5 for the key, two per answer when taken back, then new ones from 6 to 8. */
async function holdingClient() {
  const requests: LeaseRequest[] = [];
  const input = (i: number) => new Uint8Array(4).fill(i);
  const lease = async (i: number) => ({
    lease: `ls_${i}` as LeaseId,
    workUnit: `wu_${i}` as WorkUnitId,
    job: job.id,
    deadline: Date.now() + 60_000,
    inputHash: (await sha256Hex(input(i))) as BlobHash,
    input: toBase64(input(i)),
  });
  let fresh = 6;
  // Blobs and heartbeats as the plain fake answers them.
  const { client: plain } = await fakeClient(0);
  const client: PipelineClient = {
    ...plain,
    async lease(request) {
      requests.push(request);
      if (request.resumeAfter !== undefined) {
        const after = request.resumeAfter === null ? 0 : Number(request.resumeAfter.slice(3));
        const back = [after + 1, after + 2].filter((i) => i <= 5);
        const next = back.at(-1) === 5 || back.length === 0 ? {} : { resumeNext: `ls_${back.at(-1)}` as LeaseId };
        const leases = await Promise.all(back.map(lease));
        return { ok: true, value: { leases, jobs: [job], retryAfter: null, resumed: back.length, ...next } };
      }
      const leases = fresh <= 8 ? [await lease(fresh++)] : [];
      return { ok: true, value: { leases, jobs: leases.length ? [job] : [], retryAfter: leases.length ? null : 1 } };
    },
  };
  return { client, requests };
}

it('takes back the held leases first, answer after answer, then leases new ones', async () => {
  const { client, requests } = await holdingClient();
  const log: string[] = [];
  const { pipeline, outbox, events } = await pipelineFor(client, fakeCompute(log), { resume: true });
  // The earlier page computed lease 2 and left before sending it.
  await outbox.put({
    id: 'ls_2',
    createdAt: 0,
    result: { kind: 'error', lease: 'ls_2' as LeaseId, code: 'timeout', message: 'earlier page' },
  });
  pipeline.start();
  await until(async () => (await outbox.size()) === 8);
  await pipeline.stop();
  expect(requests.slice(0, 4).map((r) => r.resumeAfter)).toEqual([null, 'ls_2', 'ls_4', undefined]);
  expect(requests.slice(3).every((r) => r.resumeAfter === undefined)).toBe(true);
  // Every unit computed once: 2 was not computed again.
  expect(log.filter((l) => l.startsWith('run')).sort()).toEqual([
    'run 1',
    'run 3',
    'run 4',
    'run 5',
    'run 6',
    'run 7',
    'run 8',
  ]);
  expect(events.filter((e) => e.type === 'resumed')).toEqual([
    { type: 'resumed', count: 1 },
    { type: 'resumed', count: 2 },
    { type: 'resumed', count: 1 },
  ]);
});

it('takes nothing back unless it is the page computing for its key', async () => {
  const { client, requests } = await holdingClient();
  const { pipeline, outbox } = await pipelineFor(client, fakeCompute([]));
  pipeline.start();
  await until(async () => (await outbox.size()) === 3);
  await pipeline.stop();
  expect(requests.every((r) => r.resumeAfter === undefined)).toBe(true);
});

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
  gone();
  await pipeline.stop('now');
  const leased = log.filter((l) => l.startsWith('lease')).map((l) => `ls_${l.slice(6)}`);
  expect(sent.length).toBeGreaterThan(0);
  expect(sent).not.toContain(delivered!.id);
  expect(released.length).toBeGreaterThan(0);
  // Every lease is delivered, sent or given back, and only one of them.
  expect([delivered!.id, ...sent, ...released].sort()).toEqual([...leased].sort());
});

it('gives back the leases of an answer that arrives after Stop, instead of holding them to their deadlines', async () => {
  const { client: plain, log } = await fakeClient(50);
  let answer: (() => void) | null = null;
  let requests = 0;
  const released: string[] = [];
  const client: PipelineClient = {
    ...plain,
    // The second request (a refill, sent while the first units compute) is answered only when the test says.
    async lease(request) {
      if (requests++ === 1) await new Promise<void>((resolve) => (answer = resolve));
      return plain.lease(request);
    },
    releaseOnLeave: (leases) => void released.push(...leases),
  };
  const { pipeline, outbox } = await pipelineFor(client, fakeCompute([], { delayMs: 50 }));
  pipeline.start();
  await until(() => answer !== null);
  // Stop while the refill is out: the units computing finish, what was held is given back, and stop returns.
  await pipeline.stop();
  const before = released.length;
  (answer as unknown as () => void)();
  await until(() => log.length > 0 && released.length > before, 5_000);
  const leased = log.map((l) => `ls_${l.slice('lease '.length)}`);
  const sent = (await outbox.peek(100)).map((e) => e.id);
  // Every lease leased is either computed and in the outbox or given back, none both.
  expect([...sent, ...released].sort()).toEqual([...leased].sort());
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

it('gives back the units leased ahead when a pause lasts, keeps them through a short one, and leases again after', async () => {
  // Enough that the pause comes long before they are all done (the fake computes a whole batch at once).
  const { client: plain, log } = await fakeClient(20_000);
  const released: string[] = [];
  const client: PipelineClient = { ...plain, releaseOnLeave: (leases) => void released.push(...leases) };
  const { pipeline, outbox } = await pipelineFor(client, fakeCompute([], { delayMs: 40 }), { pausedHoldMs: 300 });
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const leased = () => log.filter((l) => l.startsWith('lease')).map((l) => `ls_${l.slice('lease '.length)}`);
  pipeline.start();
  await until(async () => (await outbox.size()) >= 2);
  // A glance at another tab: the units fetched ahead stay.
  pipeline.pause();
  await pause(100);
  pipeline.resume();
  await pause(400);
  expect(released).toEqual([]);
  // A pause that lasts: they go back (those in the worker when it came are finished, as with any pause).
  pipeline.pause();
  await until(() => released.length > 0, 5_000);
  const computedPaused = await outbox.size();
  const leasedPaused = leased().length;
  // Resumed, it leases afresh and computes on.
  pipeline.resume();
  await until(async () => (await outbox.size()) > computedPaused && leased().length > leasedPaused, 5_000);
  await pipeline.stop();
  // Every unit leased was computed or given back, none both.
  const sent = (await outbox.peek(100_000)).map((e) => e.id);
  expect([...sent, ...released].sort()).toEqual([...leased()].sort());
});

it('gives back a lease answer that arrives once a lasting pause has given back what was held', async () => {
  const { client: plain, log } = await fakeClient(20_000);
  const released: string[] = [];
  let answer: (() => void) | null = null;
  let leases = 0;
  const client: PipelineClient = {
    ...plain,
    releaseOnLeave: (leases) => void released.push(...leases),
    // The second request is answered only when the test says, long after the pause began.
    async lease(request) {
      if (++leases === 2) await new Promise<void>((resolve) => (answer = resolve));
      return plain.lease(request);
    },
  };
  const { pipeline, outbox } = await pipelineFor(client, fakeCompute([], { delayMs: 40 }), { pausedHoldMs: 200 });
  pipeline.start();
  await until(() => answer !== null);
  pipeline.pause();
  await until(() => released.length > 0, 5_000);
  const leasedBefore = log.length;
  (answer as unknown as () => void)();
  // The late answer's units go back at once: nothing renews them while paused.
  const late = () => log.slice(leasedBefore).map((l) => `ls_${l.slice('lease '.length)}`);
  await until(() => late().length > 0 && late().every((lease) => released.includes(lease)), 5_000);
  const computedPaused = await outbox.size();
  pipeline.resume();
  await until(async () => (await outbox.size()) > computedPaused, 5_000);
  await pipeline.stop();
  const leased = log.map((l) => `ls_${l.slice('lease '.length)}`);
  const sent = (await outbox.peek(100_000)).map((e) => e.id);
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

it('gives up by its name a lease request that got no answer, so that what it was granted comes back at once', async () => {
  const { client: plain } = await fakeClient(50);
  const asked: LeaseRequest[] = [];
  const givenUp: string[][] = [];
  const client: PipelineClient = {
    ...plain,
    // The first request's answer never comes (the coordinator granted it, say, and the connection broke).
    async lease(request) {
      asked.push(request);
      if (asked.length > 1) return plain.lease(request);
      return {
        ok: false,
        error: { code: 'network', message: 'no answer within 30 s', status: 0, transient: true, timedOut: true },
      };
    },
    releaseOnLeave: (leases, _budget, requests = []) => {
      if (leases.length === 0) givenUp.push([...requests]);
    },
  };
  const { pipeline, outbox } = await pipelineFor(client, fakeCompute([]));
  pipeline.start();
  await until(async () => (await outbox.size()) > 0, 5_000);
  await pipeline.stop();
  expect(givenUp).toEqual([[asked[0]!.request]]);
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
