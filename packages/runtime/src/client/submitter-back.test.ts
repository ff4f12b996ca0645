// The submitter told by the page that the coordinator is back: it retries at once, starts its backoff over (once
// until a batch goes, and not after an error answer), and gives up a batch stuck on its way from before.
import type { SubmitResponse, SubmittedResult } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { MemoryOutbox } from '../outbox';
import type { ClientFailure, ClientResult } from './coordinator-client';
import { failure, fill, recorder } from './fakes';
import { Submitter, type SubmitterEvents } from './submitter';

describe('told to retry now (the coordinator is back)', () => {
  // Waits of 2 ms, 200 ms, then 20 s: an outage of three failures has grown them to the longest.
  const backoff = { baseMs: 2, maxMs: 20_000, factor: 100 };
  const accept = (results: SubmittedResult[]): ClientResult<SubmitResponse> => ({
    ok: true,
    value: { accepted: results.length, repeated: 0 },
  });
  /** Whether the drain ends within `ms`: a wait of the outage's length (20 s) would not. */
  const endsWithin = (drain: Promise<void>, ms: number) =>
    Promise.race([drain.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

  /** A submitter of two results whose coordinator answers `submit`'s `n`-th request (given the submitter, to tell it). */
  async function submitting(
    submit: (
      n: number,
      results: SubmittedResult[],
      self: Submitter,
      signal?: AbortSignal,
    ) => Promise<ClientResult<SubmitResponse>>,
    events: SubmitterEvents = recorder().events,
  ) {
    const outbox = new MemoryOutbox();
    await fill(outbox, 2);
    let n = 0;
    const submitter: Submitter = new Submitter({
      outbox,
      events,
      backoff,
      random: () => 1,
      transport: { submit: (results, _uplink, signal) => submit(++n, results, submitter, signal) },
    });
    return { outbox, submitter, calls: () => n };
  }

  it('starts its backoff over: a first failure after it waits the shortest time, not as long as the outage’s last', async () => {
    const { outbox, submitter, calls } = await submitting(async (n, results, self) => {
      // Three failures while the coordinator is down (the last wait is 20 s); it is back 50 ms into that wait,
      // and the first request after it fails all the same (a connection the old process left half open).
      if (n === 3) setTimeout(() => self.retryNow(), 50);
      return n <= 4 ? failure(0, 'network') : accept(results);
    });
    expect(await endsWithin(submitter.kick(), 2_000)).toBe(true);
    expect(calls()).toBe(5);
    expect(await outbox.size()).toBe(0);
    submitter.close();
  });

  it('is not lost when it comes while a batch is on its way', async () => {
    const { submitter, calls } = await submitting(async (n, results, self) => {
      if (n < 3) return failure(0, 'network');
      if (n > 3) return accept(results);
      // The third request left before the coordinator was back and fails after it, with no wait to cut short:
      // the page saw the coordinator back while the request was on its way. The wait after it would be 20 s.
      self.retryNow();
      await new Promise((r) => setTimeout(r, 20));
      return failure(0, 'network');
    });
    expect(await endsWithin(submitter.kick(), 2_000)).toBe(true);
    expect(calls()).toBe(4);
    submitter.close();
  });

  /** Records each wait the submitter takes, and ends its drain after `n` of them. */
  const waits = (n: number, submitter: () => Submitter | undefined) => {
    const taken: number[] = [];
    return {
      taken,
      events: {
        ...recorder().events,
        retrying: (_: ClientFailure, delay: number) => {
          taken.push(delay);
          // Closed once the wait has begun, which the close cuts short.
          if (taken.length >= n) setTimeout(() => submitter()?.close(), 0);
        },
      },
    };
  };

  it('starts over once until a batch goes: a coordinator seen back again and again while submits fail waits longer each time', async () => {
    let made: Submitter | undefined;
    const { taken, events } = waits(3, () => made);
    const { submitter } = await submitting(async (_n, _results, self) => {
      // Its health check answers, so the page sees it back at every try; its submits fail all the same.
      self.retryNow();
      return failure(0, 'network');
    }, events);
    made = submitter;
    await submitter.kick();
    expect(taken).toEqual([2, 200, 20_000]);
  });

  it('leaves an error answer’s wait as it was', async () => {
    let made: Submitter | undefined;
    const { taken, events } = waits(3, () => made);
    const { submitter } = await submitting(async (n, _results, self) => {
      // Down twice, then back but overloaded: its 503 keeps the wait the outage grew.
      if (n < 3) return failure(0, 'network');
      self.retryNow();
      return failure(503, 'internal');
    }, events);
    made = submitter;
    await submitter.kick();
    expect(taken).toEqual([2, 200, 20_000]);
  });

  it('gives up a batch stuck on its way when the coordinator is seen back, and sends it again at once', async () => {
    const { outbox, submitter, calls } = await submitting(async (n, results, self, signal) => {
      if (n > 1) return accept(results);
      // Sent as the coordinator went, on a connection that will never answer: only giving up ends it.
      setTimeout(() => self.coordinatorBack(), 20);
      await new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve()));
      return failure(0, 'network');
    });
    expect(await endsWithin(submitter.kick(), 2_000)).toBe(true);
    expect(calls()).toBe(2);
    expect(await outbox.size()).toBe(0);
    submitter.close();
  });
});
