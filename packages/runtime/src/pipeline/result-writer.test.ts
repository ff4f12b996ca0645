// A result whose write to the outbox fails (the browser's storage full for a moment) is tried again, and kept once a
// try goes in; one the outbox never takes is given up and told as a result not delivered, not lost in silence.
import { describe, expect, it } from 'vitest';
import type { VolunteerEvent } from '../events';
import { MemoryOutbox, type OutboxEntry } from '../outbox';
import { job } from './fakes';
import type { Work } from './lease-queue';
import { OutcomeRecorder } from './outcome-recorder';
import { ResultWriter } from './result-writer';

/** An outbox whose first `failures` writes throw, as IndexedDB does when the origin's quota is used up. */
function fullFor(failures: number): MemoryOutbox {
  const outbox = new MemoryOutbox();
  const putMany = outbox.putMany.bind(outbox);
  let tries = 0;
  outbox.putMany = async (entries) => {
    if (++tries <= failures) throw new DOMException('the quota has been exceeded', 'QuotaExceededError');
    return putMany(entries);
  };
  return outbox;
}

const entry = (n: number): OutboxEntry => ({
  id: `ls_${n}`,
  result: { kind: 'error', lease: `ls_${n}`, code: 'runtime_error', message: 'x' } as never,
  createdAt: n,
});

describe('writing results to the outbox', () => {
  it('tries a failed write again, and keeps the results once a try goes in', async () => {
    const outbox = fullFor(2);
    const writer = new ResultWriter(outbox, [1, 1, 1]);
    await Promise.all([writer.add(entry(1)), writer.add(entry(2))]);
    expect(await outbox.size()).toBe(2);
  });

  it('gives a failing write up at once when told to stop, rather than wait out its tries', async () => {
    const writer = new ResultWriter(fullFor(Number.POSITIVE_INFINITY), [60_000, 60_000]);
    const written = writer.add(entry(1)).then(
      () => 'written',
      () => 'given up',
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    const asked = performance.now();
    writer.stopRetrying();
    expect(await written).toBe('given up');
    expect(performance.now() - asked).toBeLessThan(1_000);
  });

  it('gives the results up after its last try, and the page is told which, as results not delivered', async () => {
    const events: VolunteerEvent[] = [];
    const settled: string[] = [];
    const recorder = new OutcomeRecorder({
      outbox: fullFor(Number.POSITIVE_INFINITY),
      clock: { now: () => 0 },
      emit: (event) => events.push(event),
      onResult: () => undefined,
      counts: { computed: 0, failed: 0 },
      settled: (work) => settled.push(work.lease.lease),
      onError: () => undefined,
      writeRetryMs: [1, 1],
    });
    const work = { lease: { lease: 'ls_7', workUnit: 'wu_7', job: job.id }, job } as unknown as Work;
    await recorder.report(work, 'runtime_error', 'it failed');
    await recorder.flush();
    expect(settled).toEqual(['ls_7']);
    expect(events.filter((e) => e.type === 'dropped')).toEqual([
      expect.objectContaining({ lease: 'ls_7', code: 'not_stored', message: expect.stringContaining('quota') }),
    ]);
  });
});
