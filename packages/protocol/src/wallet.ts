// A volunteer's wallet, recomputed from log entries alone: what it earned, what of that it may spend, what its
// jobs cost it. The coordinator keeps the same figures as counters (apps/coordinator steps/credit.ts); the
// page and the CLI recompute them from the receipts and debits the volunteer keeps, verified offline.
import type { ReceiptBody } from './receipt';

export interface Wallet {
  /** Credit of every validated result of the key's, and credit imported from other grids. */
  readonly earned: number;
  /** The part of `earned` made on jobs the key itself paid for: kept, but not spendable. */
  readonly unspendable: number;
  /** What the key's own jobs cost it, and the credit it moved to other grids. */
  readonly spent: number;
  /** earned − unspendable − spent: what its jobs may still cost. */
  readonly balance: number;
}

/** The wallet of `key` from its log entries (others' entries are ignored). */
export function walletOf(entries: Iterable<ReceiptBody>, key: string): Wallet {
  let earned = 0;
  let unspendable = 0;
  let spent = 0;
  for (const e of entries) {
    if (e.volunteer !== key) continue;
    if (e.type === 'debit' || e.type === 'export') spent += e.debit;
    else if (e.type === 'import') earned += e.credit;
    else {
      earned += e.credit;
      if (e.funder === key) unspendable += e.credit;
    }
  }
  return { earned, unspendable, spent, balance: earned - unspendable - spent };
}

/** What one entry adds to its key's credit: a credit's amount, or a debit's (or an export's) taken away. */
export const netCredit = (e: ReceiptBody): number => ('debit' in e ? -e.debit : e.credit);
