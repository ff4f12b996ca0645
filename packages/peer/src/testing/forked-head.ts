// Test-only: the other half of a split view, a head the coordinator signs for a size with another root.
import { type SignedTreeHead, signTreeHead, toHex } from '@bricolage/protocol';
import type { TestLog } from '@bricolage/receipts/testing';

/** A head for `size` that the coordinator signs with another root: what it shows the other half of a split view. */
export async function forkedHead(log: TestLog, size: number, salt = 'fork'): Promise<SignedTreeHead> {
  const root = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${salt}${size}`)));
  return signTreeHead(log.key.privateKey, {
    log: log.key.publicKeyText,
    size,
    root: toHex(root),
    at: 1_700_000_000_000,
  });
}
