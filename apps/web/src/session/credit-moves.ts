// Moving credit between two grids this tab serves (the home grid and one added by URL), which must honour each
// other's logs: an export on the grid the credit leaves (a debit there, answered with a proven receipt), presented
// to the grid it goes to, which verifies it and credits it once. The export is an entry of the sending grid's log,
// listed with the key's receipts: the page's receipt sync keeps it (verified) like any other, so it is not written
// into the database here (a record written out of order would move the sync's resume point past receipts not yet
// fetched). An export the receiving grid has not credited (it did not answer, or the tab closed in between) is
// found from the two databases by `waitingMoves` and presented again: credit is never left halfway unsaid.
import type { ReceiptBody } from '@bricolage/protocol';
import type { StoredReceipt, VolunteerStore } from '@bricolage/receipts';
import type { Volunteer } from '@bricolage/runtime';

/** One end of a move: a grid, its key (its log) and the tab's database and volunteer for it. */
export interface CreditSide {
  /** How the page names it: "this coordinator" or the grid's URL. */
  readonly name: string;
  readonly key: string;
  readonly store: Pick<VolunteerStore, 'receiptsOfProject'>;
  readonly volunteer: () => Promise<Pick<Volunteer, 'exportCredit' | 'settleExport' | 'importCredit'>>;
}

export type MoveOutcome = (
  | { readonly ok: true; readonly credited: boolean; readonly message: string }
  /**
   * `unsure`: the sending grid never answered; the same request (its id) may be sent again, moving at most once.
   * `refused`: it answered that it did not move it.
   */
  | { readonly ok: false; readonly message: string; readonly unsure?: boolean; readonly refused?: boolean }
) & {
  /**
   * The exports (their indices in the sending grid's log) the receiving grid credited, or had credited: what
   * waits no longer counts them, though that grid's receipts of it may not have been read yet.
   */
  readonly creditedExports?: readonly number[];
};

/** Waits before the second and third try of an export whose answer did not arrive (or a 5xx): the same request id each time. */
const EXPORT_RETRY_MS = [1_000, 3_000];

/** Moves `amount` of the volunteer's credit from `from` to `to`; `requestId` names the move (the same on a retry). */
export async function moveCredit(
  from: CreditSide,
  to: CreditSide,
  amount: number,
  requestId: string,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<MoveOutcome> {
  const volunteer = await from.volunteer();
  const request = { to: to.key, amount, requestId };
  let exported = await volunteer.exportCredit(request);
  for (const wait of EXPORT_RETRY_MS) {
    // One that went unanswered for the client's whole timeout is not tried again at once: the volunteer was kept waiting
    // long enough, and says when to try again (the same request id).
    if (exported.ok || !exported.error.transient || exported.error.timedOut) break;
    await sleep(wait);
    exported = await volunteer.exportCredit(request);
  }
  // A 4xx (but 408 and 429) was never done, whoever answered it: a proxy's page (transient, for the submitter's sake)
  // never reached the export.
  const status = exported.ok ? 0 : exported.error.status;
  if (!exported.ok)
    return exported.error.transient && !(status >= 400 && status < 500 && status !== 408 && status !== 429)
      ? {
          ok: false,
          unsure: true,
          message: `${from.name} did not answer (${exported.error.message}): it may have moved the credit. Move again with the same amount and way: the same request is sent, so it moves at most once.`,
        }
      : { ok: false, refused: true, message: `${from.name} did not move it: ${exported.error.message}` };
  const index = exported.value.receipt.receipt.body.index;
  const credited = await present(to, exported.value.receipt);
  const moved = `Moved ${amount} credit from ${from.name} to ${to.name}`;
  return credited.ok
    ? { ok: true, credited: true, message: `${moved}.`, creditedExports: [index] }
    : {
        ok: true,
        credited: false,
        message: `${moved}, but ${to.name} has not credited it yet (${credited.message}): it waits, to be presented again.`,
      };
}

/**
 * A move whose export got no answer, settled by the grid it left by its request id: `exported`, it moved; `closed`,
 * no export was made under it and none will be (the request landing late is refused); `unanswered`, that grid did not
 * say (an older grid without the route, or no answer again). Asked, not read off the receipts: another tab's or
 * device's export of the same amount the same way looks just like this move's there.
 */
export async function unsureMoveState(
  from: CreditSide,
  requestId: string,
): Promise<{ readonly kind: 'exported' | 'closed' } | { readonly kind: 'unanswered'; readonly message: string }> {
  try {
    const state = await (await from.volunteer()).settleExport(requestId);
    return state.ok ? { kind: state.value.kind } : { kind: 'unanswered', message: state.error.message };
  } catch (error) {
    return { kind: 'unanswered', message: (error as Error).message };
  }
}

/** This key's verified exports kept in `from`'s database that are addressed to `to`, credited there or not. */
async function keptExports(from: CreditSide, to: CreditSide, volunteer: string): Promise<StoredReceipt[]> {
  // Credit moved between grids is kept under project '' (no work unit): the list is short.
  const sent = await from.store.receiptsOfProject('');
  return sent.filter((r) => {
    const body: ReceiptBody = r.proven.receipt.body;
    return r.check.ok && r.volunteer === volunteer && body.type === 'export' && body.to === to.key;
  });
}

/**
 * The exports kept in `from`'s database that are addressed to `to` and that `to`'s database holds no import of, nor
 * `credited` names (exports `to` was seen crediting, whose import may not be kept yet).
 */
export async function waitingMoves(
  from: CreditSide,
  to: CreditSide,
  volunteer: string,
  credited: ReadonlySet<number> = new Set(),
): Promise<StoredReceipt[]> {
  const [sent, received] = await Promise.all([keptExports(from, to, volunteer), to.store.receiptsOfProject('')]);
  const imported = new Set<number>();
  for (const r of received) {
    const body: ReceiptBody = r.proven.receipt.body;
    if (r.check.ok && body.type === 'import' && body.from === from.key) imported.add(body.fromIndex);
  }
  return sent.filter((r) => !imported.has(r.index) && !credited.has(r.index));
}

/**
 * Presents `to` the exports that wait for it (`waitingMoves`), one at a time: one it credited meanwhile (its answer
 * lost) must not hold up the others, and a request with it would be refused whole.
 */
export async function creditWaiting(waiting: readonly StoredReceipt[], to: CreditSide): Promise<MoveOutcome> {
  if (waiting.length === 0) return { ok: true, credited: true, message: 'Nothing waited to be credited.' };
  const creditedExports: number[] = [];
  for (const r of waiting) {
    const credited = await present(to, r.proven);
    if (!credited.ok)
      return { ok: false, message: `${to.name} has not credited what waits: ${credited.message}`, creditedExports };
    creditedExports.push(r.index);
  }
  return { ok: true, credited: true, message: `${to.name} credited what waited.`, creditedExports };
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
