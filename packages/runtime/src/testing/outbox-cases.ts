// The Outbox contract, one suite for every implementation (the runtime's MemoryOutbox, the page's IndexedDB store
// in packages/receipts): each runs it with a maker of empty outboxes.
import type { BlobHash, LeaseId, SubmittedResult } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import type { Outbox } from '../outbox';

/** A result for `lease`, as an outbox holds one (its bytes stand for nothing). */
export const resultFor = (lease: string): SubmittedResult => ({
  kind: 'ok',
  lease: lease as LeaseId,
  output: 'AAAA',
  outputHash: 'a'.repeat(64) as BlobHash,
  backend: 'wasm',
  elapsedMs: 1,
});

const REASON = { code: 'internal', message: 'internal error' };

/** `open` makes an empty outbox (a fresh database, where durable) for each case. */
export function describeOutbox(name: string, open: () => Promise<Outbox>): void {
  describe(`${name} (the Outbox contract)`, () => {
    /** `ls_1` … `ls_<n>` put, then those in `aside` set aside after `failures` failed deliveries each. */
    async function filled(n: number, aside: readonly string[], failures = 5): Promise<Outbox> {
      const outbox = await open();
      await outbox.putMany(
        Array.from({ length: n }, (_, i) => ({
          id: `ls_${i + 1}`,
          result: resultFor(`ls_${i + 1}`),
          createdAt: i + 1,
        })),
      );
      for (const id of aside) {
        for (let i = 0; i < failures; i++) await outbox.recordFailure(id);
        await outbox.setAside(id, REASON, 100);
      }
      return outbox;
    }

    it('sets an entry aside: out of delivery, kept with why', async () => {
      const outbox = await filled(3, ['ls_2']);
      expect((await outbox.peek(10)).map((e) => e.id)).toEqual(['ls_1', 'ls_3']);
      expect(await outbox.size()).toBe(2);
      expect(await outbox.setAsideEntries()).toEqual([
        { id: 'ls_2', result: resultFor('ls_2'), createdAt: 2, failures: 5, reason: REASON, setAsideAt: 100 },
      ]);
      // First one wins: a set-aside entry is not replaced by a put of its lease.
      await outbox.put({ id: 'ls_2', result: resultFor('ls_2'), createdAt: 50 });
      expect(await outbox.size()).toBe(2);
    });

    it('puts the set-aside entries back into delivery, as they were put, their failures counted as one', async () => {
      const outbox = await filled(4, ['ls_3', 'ls_1']);
      expect(await outbox.retryAside()).toBe(2);
      expect(await outbox.setAsideEntries()).toEqual([]);
      expect(await outbox.size()).toBe(4);
      const back = (await outbox.peek(10)).filter((e) => e.id === 'ls_1' || e.id === 'ls_3');
      expect(
        back.map(({ id, result, createdAt, failures }) => ({ id, result, createdAt, failures: failures ?? 0 })),
      ).toEqual(
        expect.arrayContaining([
          { id: 'ls_1', result: resultFor('ls_1'), createdAt: 1, failures: 1 },
          { id: 'ls_3', result: resultFor('ls_3'), createdAt: 3, failures: 1 },
        ]),
      );
      expect(back).toHaveLength(2);
      // Allowed nearly as many failures as a new entry: the count starts again from one, still marking it.
      expect(await outbox.recordFailure('ls_3')).toBe(2);
    });

    it('moves nothing when nothing is set aside', async () => {
      const outbox = await filled(2, []);
      expect(await outbox.retryAside()).toBe(0);
      expect((await outbox.peek(10)).map((e) => e.id)).toEqual(['ls_1', 'ls_2']);
    });

    it('sets a retried entry aside again when it fails again, and delivers it once removed', async () => {
      const outbox = await filled(2, ['ls_1']);
      await outbox.retryAside();
      await outbox.recordFailure('ls_1');
      await outbox.setAside('ls_1', { code: 'internal', message: 'still failing' }, 200);
      expect(await outbox.setAsideEntries()).toMatchObject([{ id: 'ls_1', failures: 2, setAsideAt: 200 }]);
      await outbox.retryAside();
      await outbox.remove(['ls_1', 'ls_2']);
      expect(await outbox.size()).toBe(0);
      expect(await outbox.setAsideEntries()).toEqual([]);
    });
  });
}
