// The wallet as this browser can prove it: earned, spent and balance recomputed from the receipts and debits
// it keeps that verified against the coordinator's key (the same `walletOf` the coordinator's counters must
// agree with), and the newest entries as history. Opening the key's personal project happens here too: its
// token goes where the dashboard reads one (sessionStorage, this tab only).
import { type ReceiptBody, walletOf, type Wallet } from '@bricolage/protocol';
import type { VolunteerStore } from '@bricolage/receipts';
import type { Volunteer } from '@bricolage/runtime';
import { storeToken } from '../dashboard-token';

/** History entries the wallet lists. */
export const WALLET_HISTORY = 20;

export interface LocalWallet extends Wallet {
  /** Verified entries the figures come from. */
  readonly entries: number;
  /** The newest entries, newest first. */
  readonly history: readonly ReceiptBody[];
}

/**
 * Recomputes the wallet of `key` in `log` from the entries kept here that verified. Reads every kept entry:
 * called when the coordinator's figures change, not per frame.
 */
export async function localWallet(store: VolunteerStore, key: string, log: string): Promise<LocalWallet> {
  const bodies = (await store.receipts())
    .filter((r) => r.check.ok && r.log === log && r.volunteer === key)
    .map((r) => r.proven.receipt.body)
    .sort((a, b) => b.index - a.index);
  return { ...walletOf(bodies, key), entries: bodies.length, history: bodies.slice(0, WALLET_HISTORY) };
}

/** Opens the key's personal project and hands its token to the dashboard of this tab; the project's id, or why not. */
export async function openFundedProject(
  volunteer: Volunteer,
  name: string,
): Promise<{ ok: true; project: string } | { ok: false; message: string }> {
  const opened = await volunteer.openFundedProject(name);
  if (!opened.ok) return { ok: false, message: opened.error.message };
  storeToken(opened.value.token);
  return { ok: true, project: opened.value.project.id };
}
