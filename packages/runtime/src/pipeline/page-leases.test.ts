// A page's leases while it stays: starting afresh, it takes back its key's open leases (resumeAfter) before new
// ones, going on where each answer stopped, computing none whose result already waits in its outbox; it gives back
// what it holds on a Stop and on a pause that lasts (API.release), and a lease request that got no answer by its
// name. What it gives back as it goes, and does when it comes back, is page-leave.test.ts.
import type { BlobHash, LeaseId, LeaseRequest, WorkUnitId } from '@bricolage/protocol';
import { sha256Hex, toBase64 } from '@bricolage/protocol';
import { expect, it } from 'vitest';
import type { PipelineClient } from './pipeline';
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
