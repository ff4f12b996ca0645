// Import: exports of other grids this coordinator honours, addressed to it (issue 19), each credited once to the
// volunteer it names. The receipts were verified before the transaction (signature, inclusion proof, a log on the
// honoured list, addressed here, presented by their own volunteer); here each is claimed, all or nothing: a receipt
// already credited here refuses the whole request, and the claims of the others are rolled back with it.
import type { ExportBody, VolunteerKey } from '@bricolage/protocol';
import type { StepContext } from './context';

/**
 * Thrown inside the transaction so that it rolls back: the receipt at `position` was credited here before, or is
 * credited by an earlier receipt of the same request (`repeats`).
 */
export class AlreadyImported extends Error {
  constructor(
    readonly position: number,
    repeats?: number,
  ) {
    super(
      repeats === undefined
        ? `receipts[${position}] was already credited here`
        : `receipts[${position}] repeats receipts[${repeats}]`,
    );
  }
}

export async function importCredits(
  ctx: StepContext,
  holder: VolunteerKey,
  receipts: readonly ExportBody[],
): Promise<{ accepted: number; credit: number }> {
  // One export named twice is refused here, whatever the route checked: the stores claim distinct exports (a claim
  // matched back by its log and index could not tell two copies apart, and both would be credited).
  const first = new Map<string, number>();
  receipts.forEach((b, i) => {
    const earlier = first.get(`${b.log}/${b.index}`);
    if (earlier !== undefined) throw new AlreadyImported(i, earlier);
    first.set(`${b.log}/${b.index}`, i);
  });
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
