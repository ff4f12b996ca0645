// The coordinator's retake rule (steps/lease.ts; policies.ts `retake`): a key may be leased again a unit whose
// replicas of its own it all gave back or let run out, up to the rule's `most` times, the k-th once its wait since
// the key's previous replica ended is over (rules/assignment.ts retakeEndedBy), so that a grid of few keys is not
// left with a unit none of them may take. Only as a fallback, when the ordinary draw gave the key nothing of the job.
import { type Holder, mayHold, type SeparationPolicy } from '../../../apps/coordinator/src/rules/assignment';
import type { MKey, MReplica, MUnit } from './state';

/** Records that `replica` ended at `at` without a result (given back, or run out): its unit may be retaken. */
export function noteLost(replica: MReplica, at: number): void {
  const { unit, key } = replica;
  // Known-answer units are never retaken. Every earlier replica of the key was lost too (the rule retakes only
  // after those), so the count says which attempt this one was.
  if (unit.tag === null) return;
  const attempt = unit.replicas.filter((r) => r.key === key).length - 1;
  key.lost.set(unit, { ended: at, attempt });
}

/**
 * The units `key` may retake now: it lost its latest replica of each at `endedBy[attempt]` or before (an attempt
 * past the list is the last it may make), the unit still wants a replica, and the separation rule allows it
 * against every other key's replicas of the unit (its own earlier ones are not held against it). Failed units
 * leave the key's set for good.
 */
export function retakeable(
  key: MKey,
  holder: (key: MKey) => Holder,
  separation: SeparationPolicy | undefined,
  now: number,
  endedBy: readonly number[],
): MUnit[] {
  const found: MUnit[] = [];
  const me = holder(key);
  for (const [unit, lost] of key.lost) {
    const latest = endedBy[lost.attempt];
    if (unit.state === 'failed' || latest === undefined) {
      key.lost.delete(unit);
      continue;
    }
    if (unit.need <= 0 || lost.ended > latest) continue;
    const others = unit.replicas.filter((r) => r.key !== key).map((r) => holder(r.key));
    if (!separation || mayHold(others, me, now, separation)) found.push(unit);
  }
  return found;
}
