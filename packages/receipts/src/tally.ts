// Per-project tallies of the receipts kept: running sums written with the entries they count, so that totals
// are read without reading every entry.
import { walletOf } from '@bricolage/protocol';
import type { StoredReceipt } from './schema';

/**
 * Running sums over one project's log entries, written in the same transaction as the entries they count, so
 * that the page can show totals without reading every entry (a volunteer may hold hundreds of thousands).
 * Credit earned and credit spent are kept apart, as `walletOf` counts them: a debit (the key's own job paid)
 * is no receipt of work, and netting it against the credit would show neither.
 */
export interface ProjectTally {
  readonly project: string;
  /** Receipts of work: credit entries, and imports of credit earned on another grid. */
  readonly receipts: number;
  /** Their credit (`walletOf`'s earned). */
  readonly credit: number;
  /** Debits: validated work units of the key's own jobs, paid for. */
  readonly debits: number;
  /** What they cost (`walletOf`'s spent). */
  readonly spent: number;
  /** Entries, of either kind, whose last verification failed. */
  readonly failed: number;
}

/** `tally` (or an empty one for the receipt's project) with `receipt` added (`sign` 1) or taken away (−1). */
export function tallied(tally: ProjectTally | undefined, receipt: StoredReceipt, sign: 1 | -1): ProjectTally {
  const body = receipt.proven.receipt.body;
  const { earned, spent } = walletOf([body], body.volunteer);
  const debit = body.type === 'debit' ? 1 : 0;
  return {
    project: receipt.project,
    receipts: (tally?.receipts ?? 0) + sign * (1 - debit),
    credit: (tally?.credit ?? 0) + sign * earned,
    debits: (tally?.debits ?? 0) + sign * debit,
    spent: (tally?.spent ?? 0) + sign * spent,
    failed: (tally?.failed ?? 0) + (receipt.check.ok ? 0 : sign),
  };
}
