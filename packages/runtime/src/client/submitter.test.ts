import type { SubmitResponse, SubmittedResult } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { MemoryOutbox } from '../outbox';
import { type ClientResult, SLOWEST_UPLINK_BYTES_PER_S } from './coordinator-client';
import { failure, fill, recorder, result } from './fakes';
import { DEFAULT_BATCH_SIZE, Submitter } from './submitter';

/** CoordinatorClient gave up waiting for the answer. */
const TIMED_OUT: ClientResult<never> = {
  ok: false,
  error: { code: 'network', message: 'no answer within 30 s', status: 0, transient: true, timedOut: true },
};

describe('the submitter', () => {
  it('sends the results waiting together, up to its batch size and bytes', async () => {
    const outbox = new MemoryOutbox();
    await fill(outbox, DEFAULT_BATCH_SIZE + 50);
    for (let i = 1; i <= 5; i++)
      await outbox.put({ id: `big_${i}`, result: result(i, 'A'.repeat(1_000_000)), createdAt: 1000 + i });
    // One result larger than the budget still goes, alone.
    await outbox.put({ id: 'huge', result: result(0, 'A'.repeat(5_000_000)), createdAt: 2000 });
    const sizes: number[] = [];
    const submitter = new Submitter({
      outbox,
      events: recorder().events,
      batchBytes: 4_000_000,
      transport: {
        async submit(results) {
          sizes.push(results.length);
          return { ok: true, value: { accepted: results.length, repeated: 0 } };
        },
      },
    });
    await submitter.kick();
    // 250 small, then 5 of 1 MB: the 200 first, then 50 small with 3 big (4 MB), the last 2 big, the huge one.
    expect(sizes).toEqual([DEFAULT_BATCH_SIZE, 53, 2, 1]);
    expect(await outbox.size()).toBe(0);
  });

  it('sends a batch that timed out again in halves, and no larger until batches have gone for a while', async () => {
    // A link on which a request of more than two results times out (CoordinatorClient gives up waiting).
    const outbox = new MemoryOutbox();
    await fill(outbox, 20);
    const sizes: number[] = [];
    const submitter = new Submitter({
      outbox,
      events: recorder().events,
      backoff: { baseMs: 1, maxMs: 2, factor: 2 },
      transport: {
        async submit(results) {
          sizes.push(results.length);
          return results.length > 2 ? TIMED_OUT : { ok: true, value: { accepted: results.length, repeated: 0 } };
        },
      },
    });
    await submitter.kick();
    // 20 time out, 10 too, 5 too, then 2 at a time; after 8 batches of 2 have gone, the last 4 are tried together
    // (and time out), then go 2 at a time.
    expect(sizes).toEqual([20, 10, 5, ...Array(8).fill(2), 4, 2, 2]);
    expect(await outbox.size()).toBe(0);
  });

  it('gives a lone result that timed out twice the time for its body each time, until it goes', async () => {
    const outbox = new MemoryOutbox();
    await outbox.put({ id: 'large', result: result(1, 'A'.repeat(100_000)), createdAt: 1 });
    const uplinks: (number | undefined)[] = [];
    const submitter = new Submitter({
      outbox,
      events: recorder().events,
      backoff: { baseMs: 1, maxMs: 2, factor: 2 },
      transport: {
        // An uplink of 4 KiB/s: a body given time only at a faster one times out.
        async submit(results, uplinkBytesPerS) {
          uplinks.push(uplinkBytesPerS);
          if ((uplinkBytesPerS ?? SLOWEST_UPLINK_BYTES_PER_S) > 4096) return TIMED_OUT;
          return { ok: true, value: { accepted: results.length, repeated: 0 } };
        },
      },
    });
    await submitter.kick();
    expect(uplinks).toEqual([undefined, SLOWEST_UPLINK_BYTES_PER_S / 2, SLOWEST_UPLINK_BYTES_PER_S / 4]);
    expect(await outbox.size()).toBe(0);
  });

  it('drops the rejected item, records why, and resubmits the rest of the batch', async () => {
    const outbox = new MemoryOutbox();
    await fill(outbox, 4);
    const sent: string[][] = [];
    const { log, events } = recorder();
    const submitter = new Submitter({
      outbox,
      events,
      transport: {
        async submit(results) {
          sent.push(results.map((r) => r.lease));
          const bad = results.findIndex((r) => r.lease === 'ls_3');
          if (bad >= 0) return failure(410, 'lease_expired', bad);
          return { ok: true, value: { accepted: results.length - 1, repeated: 1 } };
        },
      },
    });
    await submitter.kick();
    expect(sent).toEqual([
      ['ls_1', 'ls_2', 'ls_3', 'ls_4'],
      ['ls_1', 'ls_2', 'ls_4'],
    ]);
    expect(log.dropped).toEqual(['ls_3:lease_expired']);
    expect(log).toMatchObject({ accepted: 2, repeated: 1 });
    expect(await outbox.size()).toBe(0);
  });

  it('finds an unnamed bad item by sending one at a time', async () => {
    const outbox = new MemoryOutbox();
    await fill(outbox, 3);
    const { log, events } = recorder();
    const submitter = new Submitter({
      outbox,
      events,
      transport: {
        async submit(results) {
          if (results.some((r) => r.lease === 'ls_2')) return failure(400, 'bad_request');
          return { ok: true, value: { accepted: results.length, repeated: 0 } };
        },
      },
    });
    await submitter.kick();
    expect(log.dropped).toEqual(['ls_2:bad_request']);
    expect(log.settled).toEqual([['ls_1'], ['ls_3']]);
    expect(await outbox.size()).toBe(0);
  });

  it('keeps results through transient failures and retries with backoff until accepted', async () => {
    const outbox = new MemoryOutbox();
    await fill(outbox, 2);
    let calls = 0;
    const { log, events } = recorder();
    const submitter = new Submitter({
      outbox,
      events,
      backoff: { baseMs: 1, maxMs: 4, factor: 2 },
      transport: {
        async submit(results) {
          calls++;
          if (calls <= 3) return failure(calls === 2 ? 503 : 0, calls === 2 ? 'internal' : 'network');
          return { ok: true, value: { accepted: results.length, repeated: 0 } };
        },
      },
    });
    await submitter.kick();
    expect(calls).toBe(4);
    expect(log.retries).toBe(3);
    expect(log.accepted).toBe(2);
    expect(log.dropped).toEqual([]);
  });

  it('picks up results added while a batch is in flight', async () => {
    const outbox = new MemoryOutbox();
    await fill(outbox, 1);
    const sent: string[][] = [];
    const { events } = recorder();
    const submitter = new Submitter({
      outbox,
      events,
      transport: {
        async submit(results) {
          sent.push(results.map((r) => r.lease));
          if (sent.length === 1) await outbox.put({ id: 'ls_9', result: result(9), createdAt: 9 });
          return { ok: true, value: { accepted: results.length, repeated: 0 } };
        },
      },
    });
    await submitter.kick();
    expect(sent).toEqual([['ls_1'], ['ls_9']]);
  });

  /** A coordinator that answers 500 to every batch holding one of `poisoned`, and accepts every other batch. */
  const poisonedBy =
    (poisoned: string | readonly string[], sent: string[][], limit: { calls: number; onExceeded: () => void }) =>
    async (results: SubmittedResult[]): Promise<ClientResult<SubmitResponse>> => {
      sent.push(results.map((r) => r.lease));
      // Ends a drain that would otherwise never end, so that a submitter without the rule fails, not hangs.
      if (sent.length > limit.calls) limit.onExceeded();
      const bad = typeof poisoned === 'string' ? [poisoned] : poisoned;
      if (results.some((r) => bad.includes(r.lease))) return failure(500, 'internal');
      return { ok: true, value: { accepted: results.length, repeated: 0 } };
    };

  /**
   * A submitter over `outbox` (set aside at `maxFailures`, a backoff of milliseconds) against a coordinator that fails
   * on `poisoned` until `fixed()` says it was fixed; closed after `calls` batches, so that a drain that would never end
   * fails its test rather than hang it.
   */
  function againstPoison(
    outbox: MemoryOutbox,
    poisoned: string | readonly string[],
    { calls, maxFailures = 3, fixed = () => false }: { calls: number; maxFailures?: number; fixed?: () => boolean },
  ) {
    const sent: string[][] = [];
    const { log, events } = recorder();
    let submitter: Submitter | null = null;
    const failing = poisonedBy(poisoned, sent, { calls, onExceeded: () => submitter?.close() });
    const transport = {
      submit: (results: SubmittedResult[]) =>
        fixed()
          ? Promise.resolve({ ok: true as const, value: { accepted: results.length, repeated: 0 } })
          : failing(results),
    };
    submitter = new Submitter({ outbox, events, transport, maxFailures, backoff: { baseMs: 1, maxMs: 2, factor: 2 } });
    return { submitter, sent, log };
  }

  it('sets aside an item the coordinator keeps failing on, and delivers every other one', async () => {
    const outbox = new MemoryOutbox();
    await fill(outbox, 50);
    const { submitter, sent, log } = againstPoison(outbox, 'ls_17', { calls: 200 });
    await submitter.kick();
    expect(log.setAside).toEqual(['ls_17:internal:3']);
    expect(log.accepted).toBe(49);
    expect(log.dropped).toEqual([]);
    expect(await outbox.size()).toBe(0);
    const aside = await outbox.setAsideEntries();
    expect(aside.map((e) => [e.id, e.failures, e.reason.code])).toEqual([['ls_17', 3, 'internal']]);
    // Halving finds it: the first pass costs about two requests per halving, not one per item.
    expect(sent.length).toBeLessThan(40);
  });

  it('sets a retried item aside again after nearly as many failures, and delivers it once the coordinator is fixed', async () => {
    const outbox = new MemoryOutbox();
    await fill(outbox, 10);
    let fixed = false;
    const { submitter, log } = againstPoison(outbox, 'ls_4', { calls: 100, fixed: () => fixed });
    await submitter.kick();
    expect(await outbox.retryAside()).toBe(1);
    await submitter.kick();
    // Not set aside at its first failure after the retry: its count started again.
    expect(log.setAside).toEqual(['ls_4:internal:3', 'ls_4:internal:3']);
    fixed = true;
    await outbox.retryAside();
    await submitter.kick();
    expect(log.accepted).toBe(10);
    expect(await outbox.size()).toBe(0);
    expect(await outbox.setAsideEntries()).toEqual([]);
  });

  it('sets a retried item aside again from a page that has seen the coordinator handle nothing, when it is all it sends', async () => {
    // A reload, then Retry: a new submitter, the retried result the only one to send, the coordinator still failing on
    // it. Its failure counts though nothing else showed the coordinator working: it was shown bad before.
    const outbox = new MemoryOutbox();
    await fill(outbox, 1);
    await outbox.setAside('ls_1', { code: 'internal', message: 'internal error' }, 0);
    expect(await outbox.retryAside()).toBe(1);
    const { submitter, sent, log } = againstPoison(outbox, 'ls_1', { calls: 50 });
    await submitter.kick();
    expect(log.setAside).toEqual(['ls_1:internal:3']);
    expect(sent.length).toBeLessThan(50);
    expect(await outbox.size()).toBe(0);
  });

  it('sets aside a run of bad items at the head of the outbox, and delivers the items behind them', async () => {
    const outbox = new MemoryOutbox();
    await fill(outbox, 20);
    const bad = ['ls_1', 'ls_2', 'ls_3', 'ls_4'];
    const { submitter, log } = againstPoison(outbox, bad, { calls: 300, maxFailures: 2 });
    await submitter.kick();
    expect(log.accepted).toBe(16);
    expect(log.setAside.sort()).toEqual(bad.map((id) => `${id}:internal:2`));
    expect(await outbox.size()).toBe(0);
  });

  it('counts failures in the outbox, so that a reload goes on from where the last page stopped', async () => {
    const outbox = new MemoryOutbox();
    await fill(outbox, 4);
    const sent: string[][] = [];
    const first = recorder();
    let submitter: Submitter | null = null;
    const transport = { submit: poisonedBy('ls_1', sent, { calls: 1000, onExceeded: () => undefined }) };
    submitter = new Submitter({
      outbox,
      events: {
        ...first.events,
        retrying: () => {
          // The page is closed after the first pass that blamed ls_1.
          submitter?.close();
        },
      },
      transport,
      maxFailures: 2,
      backoff: { baseMs: 1, maxMs: 2, factor: 2 },
    });
    await submitter.kick();
    expect(first.log.setAside).toEqual([]);
    expect((await outbox.peek(10)).map((e) => [e.id, e.failures ?? 0])).toEqual([['ls_1', 1]]);
    await outbox.put({ id: 'ls_9', result: result(9), createdAt: 9 });

    const second = recorder();
    const reloaded = new Submitter({
      outbox,
      events: second.events,
      transport,
      maxFailures: 2,
      backoff: { baseMs: 1, maxMs: 2, factor: 2 },
    });
    await reloaded.kick();
    expect(second.log.setAside).toEqual(['ls_1:internal:2']);
    expect(second.log.settled.flat()).toEqual(['ls_9']);
    expect(await outbox.size()).toBe(0);
  });

  it('blames no item while the coordinator fails for everyone, and delivers them all once it is back', async () => {
    const outbox = new MemoryOutbox();
    await fill(outbox, 20);
    let calls = 0;
    const { log, events } = recorder();
    const passes: number[] = [];
    const submitter = new Submitter({
      outbox,
      events: {
        ...events,
        retrying: () => {
          passes.push(calls);
        },
      },
      maxFailures: 2,
      backoff: { baseMs: 1, maxMs: 2, factor: 2 },
      transport: {
        async submit(results) {
          // A full disk, say: 500 to everything for a good while.
          if (++calls <= 60) return failure(500, 'internal');
          return { ok: true, value: { accepted: results.length, repeated: 0 } };
        },
      },
    });
    await submitter.kick();
    expect(log.setAside).toEqual([]);
    expect(log.accepted).toBe(20);
    expect(await outbox.setAsideEntries()).toEqual([]);
    expect((await outbox.peek(20)).length).toBe(0);
    // Each failing pass stops after a handful of requests: halvings down to one entry, its neighbour, one probe.
    expect(passes[0]).toBeLessThanOrEqual(8);
  });
});
