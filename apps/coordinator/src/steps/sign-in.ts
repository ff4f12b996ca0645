// Sign-in: a volunteer key trades a signed challenge for a token (http/challenges.ts). Challenges are stateless;
// what is stored is the nonce of each one used, until it expires, so that a challenge is traded once, and where
// the key came from (its address and that address's rate-limit bucket), which leasing keeps replicas apart by.
import type { VolunteerKey } from '@bricolage/protocol';
import type { Tx } from '../store/persistence';

/** False when the nonce was used already. The `challenges` table's rows are pruned at expiry (an older
 * version's issued challenges among them). */
export async function consumeChallenge(
  tx: Tx,
  nonce: string,
  volunteer: VolunteerKey,
  expiresAt: number,
  now: number,
  from: { readonly address: string; readonly bucket: string },
): Promise<boolean> {
  await tx.pruneChallenges(now);
  if (!(await tx.recordChallenge(nonce, volunteer, expiresAt))) return false;
  await tx.ensureVolunteer(volunteer, from.address, from.bucket, now);
  return true;
}
