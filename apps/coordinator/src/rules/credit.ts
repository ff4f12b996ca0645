// What one validated result is worth. The researcher names a price per work unit (`costPerWorkUnit`), but the
// coordinator signs the credit, so a researcher with a second volunteer key could otherwise price a trivial
// job at 10^6 and mint signed credit as fast as the second key returns results. Credit is therefore bounded by
// what the coordinator measures itself: the time the volunteer held the lease (from the grant to the result,
// on the coordinator's clock, which a volunteer can stretch only by actually waiting), at `perSecond` credits
// a second, never below one second's worth so that a unit priced within that is always paid in full.

export interface CreditPolicy {
  /** Credits per second of lease time: the most a second of a volunteer's device can earn. */
  readonly perSecond: number;
}

export const DEFAULT_CREDIT: CreditPolicy = {
  // Generous for honest jobs: every shipped workload prices a unit at ≤ 1 credit per second of a slow device,
  // so this bound never bites them; it stops a price of 10^6 from paying out in a millisecond.
  perSecond: 10,
};

/** The most a job may pay per unit: its time budget's worth (the longest a unit may compute). */
export const maxCostPerUnit = (timeBudgetMs: number, policy: CreditPolicy): number =>
  (policy.perSecond * timeBudgetMs) / 1000;

/**
 * The credit for one result: the job's price, but at most `perSecond` per second the lease was held (counting
 * at least one second) and at most the job's time budget's worth.
 */
export function creditFor(
  cost: number,
  held: { readonly heldMs: number; readonly timeBudgetMs: number },
  policy: CreditPolicy,
): number {
  const seconds = Math.min(held.timeBudgetMs, Math.max(1000, held.heldMs)) / 1000;
  return Math.min(cost, policy.perSecond * seconds);
}
