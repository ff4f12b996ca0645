// Which wanting units of a job a key is leased (issue 17): drawn at random from a window of the lowest ones,
// never a unit whose other replicas are held by keys the separation rule keeps apart from this one. In id
// order, two keys leasing back to back received the same replicas: a cabal needed nothing more.
import type { JobId, VolunteerKey, WorkUnitNumber } from '@bricolage/protocol';
import { Draw, type Holder, mayHold, networkOf } from '../rules/assignment';
import type { Candidate, UnitHolder, VolunteerOrigin, WindowUnits } from '../store/records';
import type { StepContext, StepLimits } from './context';
import type { InlineBudget } from './inline-budget';

/** A window is this many times the units wanted, and at least WINDOW_MIN: room to draw from, not a scan. */
const WINDOW_FACTOR = 4;
const WINDOW_MIN = 64;
/** Windows read per job and lease at most: past them, the job has little this key may hold now. */
const WINDOWS = 4;

/** The key as the separation rule sees it; a key the token route never saw is only ever itself. */
export function holderOf(volunteer: VolunteerKey, origin: VolunteerOrigin | null, limits: StepLimits): Holder {
  if (!origin) return { volunteer, address: `key:${volunteer}`, network: `key:${volunteer}`, firstSeen: 0 };
  return {
    volunteer,
    address: origin.bucket,
    network: networkOf(origin.bucket),
    firstSeen: origin.firstSeen,
    exempt: limits.exempt(origin.address),
  };
}

/**
 * Up to `want` units of the job `me` may hold, of those `units` says, drawn at random from each window: units it
 * never held, or with `retake`, units it may retake (its latest replica of each came back with no answer by then,
 * `retake.endedBy` by its attempt), each with the attempt its replica would be (`attempts`). Only the units drawn have their
 * holders read and checked, as many as are still wanted at a time (twice as many after a round that found some
 * it may not hold, so that a crowded window takes a few statements, not one per unit): a unit at a time had all
 * 64 of its window's holders read (holdersOf, 7.5 % of the coordinator's time at batch 1). Which units are drawn
 * is as uniform over those it may hold as when the whole window was checked first.
 */
export async function drawUnits(
  ctx: StepContext,
  job: JobId,
  backend: string,
  me: Holder,
  want: number,
  budget: InlineBudget,
  units: WindowUnits,
  retake: { readonly endedBy: readonly number[] } | null = null,
): Promise<{ units: Candidate[]; attempts: ReadonlyMap<WorkUnitNumber, number>; full: boolean; exhausted: boolean }> {
  const { tx, limits, now, random } = ctx;
  /** Whether the windows read reached the last unit the key may be drawn: none left unread. */
  let exhausted = false;
  const size = Math.max(WINDOW_MIN, WINDOW_FACTOR * want);
  const drawn: WorkUnitNumber[] = [];
  let after: WorkUnitNumber | 0 = 0;
  const attempts = new Map<WorkUnitNumber, number>();
  for (let i = 0; i < WINDOWS && drawn.length < want; i++) {
    const key = me.volunteer as VolunteerKey;
    const window: WorkUnitNumber[] = retake
      ? (await tx.retakeWindow(job, backend, key, size, after, units, retake.endedBy)).map((r) => {
          attempts.set(r.workUnit, r.attempt);
          return r.workUnit;
        })
      : await tx.leaseWindow(job, backend, key, size, after, units);
    const last = window[window.length - 1];
    if (last === undefined) {
      exhausted = true;
      break;
    }
    after = last;
    const draw = new Draw(window, random);
    for (let batch = want - drawn.length; drawn.length < want && draw.left > 0; ) {
      const picked = draw.take(batch);
      const holders = byUnit(await tx.holdersOf(picked), me, limits);
      const before = drawn.length;
      for (const id of picked)
        if (drawn.length < want && mayHold(holders.get(id) ?? [], me, now, limits.separation)) drawn.push(id);
      const refused = picked.length - (drawn.length - before);
      batch = Math.max(want - drawn.length, refused > 0 ? 2 * batch : batch);
    }
    if (window.length < size) {
      exhausted = true;
      break;
    }
  }
  if (drawn.length === 0) return { units: [], attempts, full: false, exhausted };
  // In id order, which is the order they are handed out in (which units is chance; their order need not be: lease
  // numbers follow ids). Only those whose inputs fit in the answer are read, rows and inputs: a fast device's
  // 30 s of cnn is 4,096 units, of which one answer carries 512, and reading all their inputs was most of the
  // lease's time (190 of 300 ms).
  drawn.sort((x, y) => x - y);
  const fit = budget.fitting(await tx.inlineSizes(drawn, limits.inlineInputBytes));
  const candidates = await tx.drawnUnits(drawn.slice(0, fit), limits.inlineInputBytes);
  return { units: candidates, attempts, full: fit < drawn.length, exhausted };
}

/**
 * The other keys that held each unit. The key's own replica is not held against it: a unit it never held has none,
 * and those of one it retakes came back from it with no answer (the separation rule keeps keys apart, not a key from itself).
 */
function byUnit(rows: readonly UnitHolder[], me: Holder, limits: StepLimits): Map<WorkUnitNumber, Holder[]> {
  const holders = new Map<WorkUnitNumber, Holder[]>();
  for (const r of rows) {
    if (r.volunteer === me.volunteer) continue;
    const list = holders.get(r.workUnit) ?? [];
    list.push(holderOf(r.volunteer, r.origin, limits));
    holders.set(r.workUnit, list);
  }
  return holders;
}
