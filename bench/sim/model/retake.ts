// The coordinator's retake rule (steps/lease.ts; policies.ts `retake`): a key may be leased once more a unit whose
// one replica of its own it gave back or let run out, a lease period after it ended (rules/assignment.ts
// retakeEndedBy), so that a grid of few keys is less often left with a unit none of them may take. Only as a
// fallback, when the ordinary draw gave the key nothing of the job.
import { type Holder, mayHold, type SeparationPolicy } from '../../../apps/coordinator/src/rules/assignment';
import type { MKey, MReplica, MUnit } from './state';

/** Records that `replica` ended at `at` without a result (given back, or run out): its unit may be retaken once. */
export function noteLost(replica: MReplica, at: number): void {
  const { unit, key } = replica;
  // Known-answer units are never retaken; a key's second replica of a unit (a retake) leaves nothing to retake.
  if (unit.tag === null) return;
  if (unit.replicas.filter((r) => r.key === key).length === 1) key.lost.set(unit, at);
}

/**
 * The units `key` may retake now: it lost its one replica of each at `endedBy` or before, the unit still wants a replica, and the
 * separation rule allows it against every other key's replicas of the unit (its own earlier one is not held
 * against it). Failed units leave the key's set for good.
 */
export function retakeable(
  key: MKey,
  holder: (key: MKey) => Holder,
  separation: SeparationPolicy | undefined,
  now: number,
  endedBy: number,
): MUnit[] {
  const found: MUnit[] = [];
  const me = holder(key);
  for (const [unit, ended] of key.lost) {
    if (unit.state === 'failed') {
      key.lost.delete(unit);
      continue;
    }
    if (unit.need <= 0 || ended > endedBy) continue;
    const others = unit.replicas.filter((r) => r.key !== key).map((r) => holder(r.key));
    if (!separation || mayHold(others, me, now, separation)) found.push(unit);
  }
  return found;
}
