// Per-project tallies of the receipts kept: running sums written with the entries they count, so that totals
// are read without reading every entry. `heldTotals` is the one sum over them that a display may call verified.
import { type ProvenReceipt, walletOf } from '@bricolage/protocol';

/**
 * What a tally reads of a stored receipt (schema.ts's StoredReceipt is one): named here rather than imported, since
 * the schema's upgrades call `tallied` and the two files would import each other.
 */
interface TalliedReceipt {
  readonly project: string;
  readonly proven: ProvenReceipt;
  readonly check: { readonly ok: boolean };
}

/**
 * Running sums over one project's log entries, written in the same transaction as the entries they count, so
 * that the page can show totals without reading every entry (a volunteer may hold hundreds of thousands).
 * Credit earned and credit spent are kept apart, as `walletOf` counts them: a debit (the key's own job paid)
 * is no receipt of work, and netting it against the credit would show neither. The first five sums count every
 * entry kept; the `failed…` ones, those among them whose last verification failed, so that what still holds is
 * their difference (`heldTotals`).
 */
export interface ProjectTally {
  readonly project: string;
  /** Receipts of work: credit entries; and imports of credit moved in from another grid (project ''). */
  readonly receipts: number;
  /** Their credit (`walletOf`'s earned). */
  readonly credit: number;
  /** Debits: validated work units of the key's own jobs, paid for; and credit moved to other grids (project ''). */
  readonly debits: number;
  /** What they cost (`walletOf`'s spent). */
  readonly spent: number;
  /** Entries, of either kind, whose last verification failed. */
  readonly failed: number;
  /** Of those, the receipts of work, and their credit. */
  readonly failedReceipts: number;
  readonly failedCredit: number;
  /** What the failed debits (`failed − failedReceipts`) cost. */
  readonly failedSpent: number;
}

/** `tally` (or an empty one for the receipt's project) with `receipt` added (`sign` 1) or taken away (−1). */
export function tallied(tally: ProjectTally | undefined, receipt: TalliedReceipt, sign: 1 | -1): ProjectTally {
  const body = receipt.proven.receipt.body;
  const { earned, spent } = walletOf([body], body.volunteer);
  // Entries that take credit away: debits, and exports (credit moved to another grid).
  const debit = body.type === 'debit' || body.type === 'export' ? 1 : 0;
  const failed = receipt.check.ok ? 0 : sign;
  return {
    project: receipt.project,
    receipts: (tally?.receipts ?? 0) + sign * (1 - debit),
    credit: (tally?.credit ?? 0) + sign * earned,
    debits: (tally?.debits ?? 0) + sign * debit,
    spent: (tally?.spent ?? 0) + sign * spent,
    failed: (tally?.failed ?? 0) + failed,
    failedReceipts: (tally?.failedReceipts ?? 0) + failed * (1 - debit),
    failedCredit: (tally?.failedCredit ?? 0) + failed * earned,
    failedSpent: (tally?.failedSpent ?? 0) + failed * spent,
  };
}

/** The project of credit moved between grids (exports, and the imports of other grids' exports): no work unit's. */
export const MOVED_PROJECT = '';

/** Totals over every project of the entries whose last verification held, and how many did not. */
export interface HeldTotals {
  /** Receipts of work that hold, and their credit. */
  readonly receipts: number;
  readonly credit: number;
  /** Debits that hold (the key's own jobs paid for), and what they cost. */
  readonly debits: number;
  readonly spent: number;
  /** Credit moved in from other grids (imports that hold) and moved out to them (exports): neither work nor spending. */
  readonly movedIn: number;
  readonly movedOut: number;
  /** Entries, of any kind, whose last verification failed: counted in none of the above. */
  readonly failed: number;
}

/**
 * What `tallies` add up to, counting only the entries that still verify: an entry whose re-check failed proves
 * no work and no credit, so a count of verified receipts (or of credit earned) leaves it out.
 */
export function heldTotals(tallies: readonly ProjectTally[]): HeldTotals {
  let receipts = 0;
  let credit = 0;
  let debits = 0;
  let spent = 0;
  let movedIn = 0;
  let movedOut = 0;
  let failed = 0;
  for (const t of tallies) {
    failed += t.failed;
    if (t.project === MOVED_PROJECT) {
      movedIn += t.credit - t.failedCredit;
      movedOut += t.spent - t.failedSpent;
      continue;
    }
    receipts += t.receipts - t.failedReceipts;
    credit += t.credit - t.failedCredit;
    debits += t.debits - (t.failed - t.failedReceipts);
    spent += t.spent - t.failedSpent;
  }
  // Credit is fractional and its sums are kept by adding and taking away: every entry failed may leave a hair
  // below zero, which is none (and a negative credit is no status the widget may send).
  const atLeast0 = (x: number) => Math.max(0, x);
  return {
    receipts,
    credit: atLeast0(credit),
    debits,
    spent: atLeast0(spent),
    movedIn: atLeast0(movedIn),
    movedOut: atLeast0(movedOut),
    failed,
  };
}
