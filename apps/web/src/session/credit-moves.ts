// Moving credit between two grids this tab serves (the home grid and one added by URL): an export on the grid the
// credit leaves (a debit there, answered with a proven receipt, kept in that grid's database once it verifies
// against its key), then that receipt presented to the grid the credit goes to, which credits it once. An export
// the receiving grid has not credited yet (it did not answer, or the tab closed in between) stays in the sending
// grid's database, where `waitingMoves` finds it so that it can be presented again: credit is never left halfway
// without the page saying so.
import type { ReceiptBody } from '@bricolage/protocol';
import type { StoredReceipt, VolunteerStore } from '@bricolage/receipts';
import type { Volunteer } from '@bricolage/runtime';

/** One end of a move: a grid, its key (its log) and the tab's database and volunteer for it. */
export interface CreditSide {
  /** How the page names it: "this coordinator" or the grid's URL. */
  readonly name: string;
  readonly key: string;
  readonly store: Pick<VolunteerStore, 'addReceipts' | 'receiptsOfProject'>;
  readonly volunteer: () => Promise<Pick<Volunteer, 'id' | 'exportCredit' | 'importCredit'>>;
}

export type MoveOutcome =
  | { readonly ok: true; readonly credited: boolean; readonly message: string }
  | { readonly ok: false; readonly message: string };

/** Tries of one export whose answer did not arrive (or a 5xx): the same request id each time, so it moves at most once. */
const EXPORT_TRIES = 3;

/** Moves `amount` of the volunteer's credit from `from` to `to`. */
export async function moveCredit(
  from: CreditSide,
  to: CreditSide,
  amount: number,
  requestId: string = crypto.randomUUID(),
): Promise<MoveOutcome> {
  const volunteer = await from.volunteer();
  let exported = await volunteer.exportCredit({ to: to.key, amount, requestId });
  for (let tries = 1; !exported.ok && exported.error.transient && tries < EXPORT_TRIES; tries++)
    exported = await volunteer.exportCredit({ to: to.key, amount, requestId });
  if (!exported.ok) return { ok: false, message: `${from.name} did not move it: ${exported.error.message}` };
  const receipt = exported.value.receipt;
  const kept = await from.store.addReceipts([receipt], from.key, volunteer.id);
  if (kept.added + kept.alreadyHere === 0)
    return {
      ok: false,
      message: `${from.name} answered with an export that does not verify against its key (${kept.rejected[0]?.message ?? 'not kept'}): it may have taken the credit without proof`,
    };
  const credited = await present(to, receipt);
  const moved = `Moved ${amount} credit from ${from.name} to ${to.name}`;
  return credited.ok
    ? { ok: true, credited: true, message: `${moved}.` }
    : {
        ok: true,
        credited: false,
        message: `${moved}, but ${to.name} has not credited it yet (${credited.message}): it waits, kept here, to be presented again.`,
      };
}

/** The exports kept in `from`'s database that are addressed to `to` and that `to`'s database holds no import of. */
export async function waitingMoves(from: CreditSide, to: CreditSide, volunteer: string): Promise<StoredReceipt[]> {
  // Credit moved between grids is kept under project '' (no work unit): both lists are short.
  const [sent, received] = await Promise.all([from.store.receiptsOfProject(''), to.store.receiptsOfProject('')]);
  const credited = new Set<number>();
  for (const r of received) {
    const body: ReceiptBody = r.proven.receipt.body;
    if (r.check.ok && body.type === 'import' && body.from === from.key) credited.add(body.fromIndex);
  }
  return sent.filter((r) => {
    const body: ReceiptBody = r.proven.receipt.body;
    return (
      r.check.ok && r.volunteer === volunteer && body.type === 'export' && body.to === to.key && !credited.has(r.index)
    );
  });
}

/**
 * Presents `to` the exports that wait for it (`waitingMoves`), one at a time: one it credited meanwhile (its answer
 * lost) must not hold up the others, and a request with it would be refused whole.
 */
export async function creditWaiting(waiting: readonly StoredReceipt[], to: CreditSide): Promise<MoveOutcome> {
  for (const r of waiting) {
    const credited = await present(to, r.proven);
    if (!credited.ok) return { ok: false, message: `${to.name} has not credited what waits: ${credited.message}` };
  }
  return { ok: true, credited: true, message: `${to.name} credited what waited.` };
}

/** Presents one export to the grid it is addressed to; one credited there before counts (its 409 says so). */
async function present(to: CreditSide, receipt: unknown): Promise<{ ok: true } | { ok: false; message: string }> {
  try {
    const volunteer = await to.volunteer();
    const imported = await volunteer.importCredit([receipt]);
    if (imported.ok || imported.error.code === 'conflict') return { ok: true };
    return { ok: false, message: imported.error.message };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}
