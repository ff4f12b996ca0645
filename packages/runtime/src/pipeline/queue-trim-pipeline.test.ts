// A page whose units turn dear after its lease was sized gives back what it would not start within a minute, at
// the next check, and computes the rest (queue-trim.ts); nothing it gave back reaches the outbox.
import { expect, it } from 'vitest';
import type { PipelineClient, PipelineCompute } from './pipeline';
import { fakeClient, fakeCompute, pipelineFor, until, workerLike } from './fakes';
import { KEEP_MS, TRIM_AT_MS } from './queue-trim';

it('gives back the units it holds beyond a minute of work once they turn dear, and computes those it keeps', async () => {
  const { client: plain, log } = await fakeClient(300);
  const released: string[] = [];
  let first = true;
  const client: PipelineClient = {
    ...plain,
    // A coordinator that sized the first lease for the speed of the cheap units: all 300 at once.
    lease(query) {
      const max = first ? 300 : query.max;
      first = false;
      return plain.lease({ ...query, max });
    },
    releaseOnLeave(leases) {
      released.push(...leases);
    },
  };
  // Ten units of 0.1 s, then 2 s each, on a clock the test moves.
  const t = { t: 0 };
  let ran = 0;
  // Each also takes 20 ms here, so that the page checks its queue (every 5 ms) between units, as a page does.
  const inner = fakeCompute(log, { delayMs: 20 });
  const timed: PipelineCompute = {
    prepare: inner.prepare,
    async run(...args) {
      const ms = ++ran <= 10 ? 100 : 2000;
      const startedAt = t.t;
      t.t += ms;
      const outcome = await inner.run(...args);
      return outcome.ok ? { ...outcome, startedAt, endedAt: startedAt + ms } : outcome;
    },
  };
  const clock = { now: () => Date.now(), monotonic: () => t.t };
  const { pipeline, outbox } = await pipelineFor(client, workerLike(timed, 1).compute, { clock, heartbeatCheckMs: 5 });
  pipeline.start();
  // Every unit either computed or given back (at one check or several, as the units' time is measured).
  await until(async () => (await outbox.size()) + released.length === 300);
  await pipeline.stop();
  const computed = 300 - released.length;
  // The tail went back, the newest lease last: about a minute of 2 s units was kept ahead of the one computing.
  expect([...released].sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)))).toEqual(
    Array.from({ length: released.length }, (_, i) => `ls_${computed + i + 1}`),
  );
  // Ten cheap units, then a minute of dear ones at least, and no more than TRIM_AT_MS of them: the check that trims
  // first reads the dear units as cheaper than they are (its moving average has not caught up), and keeps what would
  // start within a minute at that speed; held after, less than TRIM_AT_MS of work is left alone.
  expect(computed).toBeGreaterThanOrEqual(10 + KEEP_MS / 2000);
  expect(computed).toBeLessThanOrEqual(10 + TRIM_AT_MS / 2000 + 5);
  // What it kept was computed; nothing given back ran, or reached the outbox.
  const ids = (await outbox.peek(400)).map((e) => e.id);
  expect(ids).toEqual(Array.from({ length: computed }, (_, i) => `ls_${i + 1}`));
  expect(log.filter((l) => l.startsWith('run'))).toHaveLength(computed);
});
