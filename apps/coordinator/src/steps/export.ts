// Export: a volunteer moves credit out of this grid, to another whose coordinator's key it names (issue 19). It is
// a debit of the volunteer here, an entry of this grid's log addressed to that grid; the receiving grid credits it
// once when the volunteer presents the proven entry there (steps/import.ts). What may move is what the volunteer
// may spend: its balance less what the replicas already out on its own jobs will cost and what their started units
// still want (fund.ts), read under its row's lock, which a lease of its jobs takes too, so that two exports, or an
// export and a lease, cannot both spend the same credit.
import type { Failure, VolunteerKey } from '@bricolage/protocol';
import type { StepContext } from './context';
import { balanceOf, fundsOf } from './fund';

/** Moves `amount` of `holder`'s credit to the grid `to`; a failure when it may not. */
export async function exportCredit(
  ctx: StepContext,
  holder: VolunteerKey,
  to: string,
  amount: number,
): Promise<Failure | null> {
  if (to === ctx.logKey)
    return { code: 'bad_request', message: "`to` is this grid's own key: credit moves to another grid" };
  const { tx } = ctx;
  const row = await tx.lockVolunteer(holder);
  const project = await tx.projectFundedBy(holder);
  // What is left once the replicas out are paid for, less what the started units of its active jobs still want:
  // moved, it would leave those units half done.
  const funds = project ? await fundsOf(ctx, holder, project) : null;
  const movable = funds ? funds.left - funds.kept : balanceOf(row);
  if (amount > movable)
    return {
      code: 'conflict',
      message: `${amount} is more than this volunteer may move: ${Math.max(0, movable)} (its balance here, less what the replicas out on its own jobs will cost and their started units still want)`,
    };
  ctx.changes.exported({ volunteer: holder, to, amount });
  return null;
}
