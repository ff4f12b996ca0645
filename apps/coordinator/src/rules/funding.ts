// How far a volunteer's credit carries its funded job in one lease. Credit spent on first replicas of many units
// buys no validated result: a quorum-2 job with credit for 14 units ended with 4 validated and 21 holding one
// result each. So the replicas that started units still want are paid for first, and a new unit is started only
// when what is left pays for its whole quorum.

/** What the funder's balance still covers, in credit. */
export interface Funds {
  /** Once every replica already out on its jobs is paid for. */
  readonly left: number;
  /** Of `left`, what the replicas its started units still want (on all its jobs) keep back. */
  readonly kept: number;
}

/** What a lease may give one of the funder's jobs. */
export interface FundedRoom {
  /** Replicas in all. */
  readonly replicas: number;
  /** Of those, first replicas of units not started yet: the rest must go to started units. */
  readonly fresh: number;
}

/**
 * The room the funds leave a job whose replicas cost `cost` and whose new units take `quorum` replicas (its
 * minimum quorum: adaptive replication may settle for fewer, never more before a disagreement).
 */
export function fundedRoom(funds: Funds, cost: number, quorum: number): FundedRoom {
  const replicas = Math.max(0, Math.floor(funds.left / cost));
  const free = funds.left - funds.kept;
  const fresh = Math.max(0, Math.min(replicas, Math.floor(free / (cost * Math.max(1, quorum)))));
  return { replicas, fresh };
}

/**
 * Why the funds cannot carry the job further now, or null when a lease may still give it a replica. `own` is what
 * the job's own started units still want, in credit.
 */
export function unfunded(funds: Funds, cost: number, quorum: number, own: number): string | null {
  if (funds.left < cost)
    return `its funder's balance is spent: ${round(funds.left)} credit left uncommitted, a replica costs ${cost}`;
  // None of its started units wants a replica, and what is left cannot see a new unit through: the job would wait
  // for nothing, active and stalled (what is left may be kept for the started units of the funder's other jobs).
  if (own <= 0 && fundedRoom(funds, cost, quorum).fresh === 0)
    return (
      `its funder's balance is spent: ${round(funds.left)} credit left uncommitted` +
      (funds.kept > 0 ? ` (${round(funds.kept)} of it kept for started units of its other jobs)` : '') +
      `, a new unit's ${quorum} replicas cost ${cost * quorum}`
    );
  return null;
}

const round = (n: number) => Math.round(n * 1000) / 1000;
