// Import: exports of other grids this coordinator honours, addressed to it (issue 19), each credited once to the
// volunteer it names. The receipts were verified before the transaction (signature, inclusion proof, a log on the
// honoured list, addressed here, presented by their own volunteer); here each is claimed, all or nothing: a receipt
// already credited here refuses the whole request, and the claims of the others are rolled back with it.
import type { ExportBody, VolunteerKey } from '@bricolage/protocol';
import type { StepContext } from './context';

/** Thrown inside the transaction so that it rolls back: the receipt at `position` was credited here before. */
export class AlreadyImported extends Error {
  constructor(readonly position: number) {
    super(`receipts[${position}] was already credited here`);
  }
}

export async function importCredits(
  ctx: StepContext,
  holder: VolunteerKey,
  receipts: readonly ExportBody[],
): Promise<{ accepted: number; credit: number }> {
  const claims = receipts.map((b) => ({ log: b.log, index: b.index, volunteer: holder, at: ctx.now }));
  const claimed = await ctx.tx.claimImports(claims);
  if (claimed.length < claims.length) {
    const got = new Set(claimed.map((c) => `${c.log}/${c.index}`));
    throw new AlreadyImported(claims.findIndex((c) => !got.has(`${c.log}/${c.index}`)));
  }
  let credit = 0;
  for (const b of receipts) {
    ctx.changes.imported({ volunteer: holder, from: b.log, fromIndex: b.index, amount: b.debit });
    credit += b.debit;
  }
  return { accepted: receipts.length, credit };
}
