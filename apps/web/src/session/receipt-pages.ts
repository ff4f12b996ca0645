// A volunteer's new receipts, fetched page by page from the coordinator and each kept only once it verifies:
// the home grid's sync and every other grid's. A sync takes a bounded number of pages and says after each one
// what it kept, so that what the page shows climbs as receipts verify: a quick job earns receipts faster than a
// busy machine verifies them (each a signature and an inclusion proof), and a sync that chased them all would
// show nothing for minutes. The next sync goes on from the last receipt kept.
import type { Rejection, VolunteerStore } from '@bricolage/receipts';
import type { Volunteer } from '@bricolage/runtime';

/** Receipts asked for at a time; a shorter page is the last one there is for now. */
export const RECEIPTS_PAGE = 100;
/** Pages one sync takes at most. */
export const SYNC_PAGES = 10;

export interface NewReceipts {
  readonly added: number;
  readonly rejected: readonly Rejection[];
  /** It stopped at SYNC_PAGES with receipts still coming: sync again soon. */
  readonly more: boolean;
}

export async function fetchNewReceipts(
  volunteer: Pick<Volunteer, 'id' | 'receipts'>,
  store: Pick<VolunteerStore, 'lastIndex' | 'addReceipts'>,
  key: string,
  /** After each page that kept receipts: what it kept. */
  onPage: (added: number) => Promise<void>,
  /** Asked before each page: whether it may still ask in the volunteer's name (a widget's reader may withdraw). */
  mayAsk: () => Promise<boolean> = async () => true,
): Promise<NewReceipts> {
  let after = await store.lastIndex(key, volunteer.id);
  const rejected: Rejection[] = [];
  let added = 0;
  for (let pages = 0; pages < SYNC_PAGES; pages++) {
    if (!(await mayAsk())) return { added, rejected, more: false };
    const page = await volunteer.receipts(after, RECEIPTS_PAGE);
    if (!page.ok || page.value.receipts.length === 0) return { added, rejected, more: false };
    const outcome = await store.addReceipts(page.value.receipts, key, volunteer.id);
    rejected.push(...outcome.rejected);
    added += outcome.added;
    if (outcome.added > 0) await onPage(outcome.added);
    if (page.value.receipts.length < RECEIPTS_PAGE || page.value.next === null || page.value.next <= after)
      return { added, rejected, more: false };
    after = page.value.next;
  }
  return { added, rejected, more: true };
}
