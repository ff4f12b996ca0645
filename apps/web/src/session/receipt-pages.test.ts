import type { VolunteerStore } from '@bricolage/receipts';
import type { Volunteer } from '@bricolage/runtime';
import { describe, expect, it } from 'vitest';
import { fetchNewReceipts, RECEIPTS_PAGE, SYNC_PAGES } from './receipt-pages';

/** A coordinator with `available` receipts for the volunteer (null: always a full page more, a quick job). */
function grid(available: number | null, lastKept = 0) {
  const asked: number[] = [];
  const volunteer = {
    id: 'v',
    receipts: async (after: number, limit: number) => {
      asked.push(after);
      const left = available === null ? limit : Math.max(0, Math.min(limit, available - after));
      const receipts = Array.from({ length: left }, (_, i) => ({ index: after + i + 1 }));
      return { ok: true, value: { receipts, next: left > 0 ? after + left : null } };
    },
  } as unknown as Pick<Volunteer, 'id' | 'receipts'>;
  // Every third receipt does not verify.
  const store = {
    lastIndex: async () => lastKept,
    addReceipts: async (offered: readonly { index: number }[]) => ({
      added: offered.filter((r) => r.index % 3 !== 0).length,
      rejected: offered
        .filter((r) => r.index % 3 === 0)
        .map((r) => ({ position: r.index, workUnit: null, message: 'bad signature' })),
    }),
  } as unknown as Pick<VolunteerStore, 'lastIndex' | 'addReceipts'>;
  return { volunteer, store, asked };
}

describe('fetchNewReceipts', () => {
  it('takes at most SYNC_PAGES pages of a quick job, saying what it kept after each, and that more are coming', async () => {
    const { volunteer, store, asked } = grid(null);
    const shown: number[] = [];
    let total = 0;
    const outcome = await fetchNewReceipts(volunteer, store, 'k', async (added) => {
      total += added;
      shown.push(total);
    });
    expect(asked).toHaveLength(SYNC_PAGES);
    expect(outcome.more).toBe(true);
    // What the page shows climbs page by page, not once at the end.
    expect(shown).toHaveLength(SYNC_PAGES);
    expect(shown[0]).toBeGreaterThan(0);
    expect(shown.at(-1)).toBe(outcome.added);
    expect(outcome.added + outcome.rejected.length).toBe(SYNC_PAGES * RECEIPTS_PAGE);
  });

  it('goes on from the last receipt kept and stops at a short page', async () => {
    const { volunteer, store, asked } = grid(250, 40);
    let pages = 0;
    const outcome = await fetchNewReceipts(volunteer, store, 'k', async () => {
      pages++;
    });
    expect(asked).toEqual([40, 140, 240]);
    expect(outcome).toMatchObject({ added: 140, more: false });
    expect(outcome.rejected).toHaveLength(70);
    expect(pages).toBe(3);
  });

  it('asks once and reports nothing when no receipt is new', async () => {
    const { volunteer, store, asked } = grid(40, 40);
    const outcome = await fetchNewReceipts(volunteer, store, 'k', async () => {
      throw new Error('nothing was kept');
    });
    expect(asked).toEqual([40]);
    expect(outcome).toEqual({ added: 0, rejected: [], more: false });
  });
});
