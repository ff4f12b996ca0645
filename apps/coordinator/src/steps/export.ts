// Export: a volunteer moves credit out of this grid, to another whose coordinator's key it names (issue 19). It is
// a debit of the volunteer here, an entry of this grid's log addressed to that grid; the receiving grid credits it
// once when the volunteer presents the proven entry there (steps/import.ts). What may move is what the volunteer
// may spend: its balance less what the replicas already out on its own jobs will cost and what their started units
// still want (fund.ts), read under its row's lock, which a lease of its jobs takes too, so that two exports, or an
// export and a lease, cannot both spend the same credit.
//
// A request may carry a client's requestId: the same one from the same key again (a retry whose first answer was
// lost) is answered with the first export's entry, nothing moved; looked up under the same row lock, so that two
// copies racing move once. The facade records it with the entry's index in the transaction of the debit. A client
// whose request got no answer settles it (settleExport): the export made under it, or, none made, the id closed for
// good, so that the request landing later (held up on its way) is refused and "it did not move" stays true.
import type { ExportRequest, Failure, VolunteerKey } from '@bricolage/protocol';
import type { ExportSettlement } from '../store/store';
import type { StepContext } from './context';
import { balanceOf, fundsOf } from './fund';

/** What an export request comes to: refused, answered by an earlier export of the same request, or moved now. */
export type ExportDecision =
  | { readonly kind: 'refused'; readonly failure: Failure }
  | { readonly kind: 'repeated'; readonly index: number }
  | { readonly kind: 'moved' };

/** Moves `amount` of `holder`'s credit to the grid `to`, unless it may not or this request moved it before. */
export async function exportCredit(
  ctx: StepContext,
  holder: VolunteerKey,
  { to, amount, requestId }: ExportRequest,
  /** The logs this grid honours (HONOURED_LOGS): credit moves only to them. */
  honoured: readonly string[],
): Promise<ExportDecision> {
  const refused = (code: Failure['code'], message: string): ExportDecision => ({
    kind: 'refused',
    failure: { code, message },
  });
  if (to === ctx.logKey) return refused('bad_request', "`to` is this grid's own key: credit moves to another grid");
  const { tx } = ctx;
  const row = await tx.lockVolunteer(holder);
  if (requestId !== undefined) {
    const earlier = await tx.exportRequest(holder, requestId);
    if (earlier && earlier.to === to && earlier.amount === amount) return { kind: 'repeated', index: earlier.index };
    if (earlier)
      return refused(
        'conflict',
        `requestId ${requestId} was used for another export (to ${earlier.to}, amount ${earlier.amount}): a new move takes a new requestId`,
      );
    if (await tx.exportRequestClosed(holder, requestId))
      return refused(
        'conflict',
        `requestId ${requestId} was settled as not made: no export is made under it, and nothing was moved; a new move takes a new requestId`,
      );
  }
  // Only to a grid whose log this one honours: operators who honour each other's logs let credit move both ways,
  // and an export to a grid that will not credit it would be credit gone for nothing. Checked after the lookup: a
  // retry of a move made before the operator took that grid off the list gets its receipt, not a refusal.
  if (!honoured.includes(to))
    return refused(
      'forbidden',
      `this grid moves credit only to the grids whose logs it honours (HONOURED_LOGS), and ${to} is not one`,
    );
  const project = await tx.projectFundedBy(holder);
  // What is left once the replicas out are paid for, less what the started units of its active jobs still want:
  // moved, it would leave those units half done.
  const funds = project ? await fundsOf(ctx, holder, project) : null;
  const movable = funds ? funds.left - funds.kept : balanceOf(row);
  if (amount > movable)
    return refused(
      'conflict',
      `${amount} is more than this volunteer may move: ${Math.max(0, movable)} (its balance here, less what the replicas out on its own jobs will cost and their started units still want)`,
    );
  ctx.changes.exported({ volunteer: holder, to, amount });
  return { kind: 'moved' };
}

/**
 * Settles `holder`'s export request `requestId` for good: the export made under it, if one was; if not, the id is
 * closed, and an export sent under it from then on is refused (exportCredit). Under the key's row lock, as an export
 * takes it: whichever of the two comes first, the other sees what it did. Settled again, it answers the same.
 */
export async function settleExport(
  ctx: StepContext,
  holder: VolunteerKey,
  requestId: string,
): Promise<ExportSettlement> {
  const { tx } = ctx;
  await tx.lockVolunteer(holder);
  const made = await tx.exportRequest(holder, requestId);
  if (made) return { kind: 'exported', index: made.index };
  if (!(await tx.exportRequestClosed(holder, requestId))) await tx.closeExportRequest(holder, requestId, ctx.now);
  return { kind: 'closed' };
}
