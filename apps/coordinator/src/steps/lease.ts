// Lease: hand a volunteer work units it can run. Jobs are offered in the order rules/eligibility.ts gives for
// its device; how many units of each, and for how long, rules/lease-size.ts decides (a device that reported its
// speed on a job gets a target time of work; one that did not, up to the request's `max`), within the key's
// lease room (rules/lease-limits.ts); within a job, known-answer units at the job's rate, then units that want
// a replica, that this volunteer never held and that the separation rule lets it hold, drawn at random
// (draw.ts), no more of those with inline inputs than one answer carries. Only when a job has none of those for
// the key, units it may retake: a key may be leased a unit again only if every replica of it it held came back with
// no answer (given back or run out), at most `most` times, the k-th retake 2^(k-1) lease periods after its previous
// replica ended (rules/assignment.ts RetakeRule, retakeEndedBy). Else a grid of few keys, whose pages come and go,
// is left with units none of them may take and a job that never completes; as a fallback, a key that lets leases run
// out or gives them back gets its units back less and less often, and only when nothing else of the job is left for
// it (BENCHMARKS.md, Adversaries). A job paid from a volunteer's credit
// gets only the replicas its funder's balance covers; when that is short, replicas of its started units first,
// still drawn at random among them (rules/funding.ts). Each granted unit's counters move
// (the first replica also draws its quorum: adaptive replication, rules/reputation.ts). A key past its error
// allowance gets nothing until it refills (rules/error-budget.ts), and a key that stopped voting nothing at all.
// A page starting afresh (`resume`) first takes back the key's open leases, unchanged (resumeHeld below). What a
// named request is granted is kept under its name, for the page's release to give back (lease-requests.ts).
import type { JobId, LeaseNumber } from '@bricolage/protocol';
import { retakeEndedBy } from '../rules/assignment';
import { eligibility, leaseOrder } from '../rules/eligibility';
import { leaseRoom } from '../rules/lease-limits';
import { DEFAULT_SIZING, fastestSpeed, keyCeiling, leaseSize, speedOf, volunteerRoom } from '../rules/lease-size';
import { DEFAULT_ERROR_BUDGET, leaseAgainAt, mayLease } from '../rules/error-budget';
import { quorumFor } from '../rules/reputation';
import { standingAt, trustPolicyOf } from '../rules/standing';
import { type Funds, fundedRoom } from '../rules/funding';
import { fundsOf } from './fund';
import { replicasWanted } from '../rules/validation';
import type { Candidate, NewReplica, VolunteerRecord, WindowUnits } from '../store/records';
import type { GrantedLease, LeaseOutcome, LeaseQuery, NoLease } from '../store/store';
import type { JobFacts, StepContext } from './context';
import { drawUnits, holderOf } from './draw';
import { InlineBudget } from './inline-budget';
import { grantedUnder } from './lease-requests';

/** Known-answer units read per job and lease, to draw from. */
const PROBES_READ = 64;

export async function lease(ctx: StepContext, q: LeaseQuery): Promise<LeaseOutcome> {
  const { tx, changes, now, random, limits } = ctx;
  const volunteer = await tx.lockVolunteer(q.volunteer);
  // A request its page gave up before it came (the page went meanwhile: lease-requests.ts) gets nothing.
  const named = q.request ? await tx.leaseRequest(q.volunteer, q.request) : null;
  if (named?.givenUp) return { granted: [], none: { why: 'no_work' }, jobs: [] };
  const me = holderOf(q.volunteer, volunteer.origin, limits);
  const fastest = fastestSpeed(q.capabilities.speeds);
  const rooms = await roomsOf(ctx, volunteer, me.exempt === true, fastest);
  let room = rooms.raised;
  // The room a reported speed raised (keyCeiling) is for the jobs that speed was measured on: a job the device
  // reported no speed for gets no more than the per-key cap allows, or a tab measured fast on one job filled
  // that room with another's slow units on its long leases (613 demo tiles for one farm tab).
  let plainRoom = rooms.plain;
  const standing = standingAt(volunteer.standing, now);
  // A key that stopped voting gets nothing: its results would be set aside, the replicas wasted.
  if (!standing.reputation.voting) return { granted: [], none: { why: 'not_voting' }, jobs: [] };
  /** Bytes of inline inputs the answer may still carry (StepLimits.inlineLeaseBytes); the first unit always goes. */
  const budget = new InlineBudget(limits.inlineLeaseBytes);
  const fits = (c: Candidate) => budget.fits(c.input?.length ?? null);
  const carry = (c: Candidate) => budget.carry(c.input?.length ?? null);
  // Leases it holds already come back first, whatever its room (they count in it already) and its error allowance
  // (they were granted under it): a page starting afresh computes them rather than leaving them to expire.
  const back = q.resume ? await resumeHeld(ctx, q, q.resume, fits, carry) : null;
  /** The answer: the leases taken back, then those granted now; why none when there are none. */
  const answer = async (granted: readonly GrantedLease[], none: NoLease | null): Promise<LeaseOutcome> => {
    const all = [...(back?.leases ?? []), ...granted];
    // Under the request's name, for a release that names it to give back: those granted now, not those taken back.
    if (q.request)
      await grantedUnder(
        ctx,
        q.volunteer,
        q.request,
        named,
        granted.map((l) => l.lease),
      );
    const jobs: LeaseOutcome['jobs'][number][] = [];
    for (const id of new Set(all.map((l) => l.job))) {
      const { project, definition, createdAt } = await ctx.catalog.require(tx, id);
      jobs.push({ id, project, definition, createdAt });
    }
    return {
      granted: all,
      none: all.length > 0 ? null : none,
      jobs,
      ...(back ? { resumed: back.leases.length } : {}),
      ...(back?.next != null ? { resumeNext: back.next } : {}),
    };
  };
  const nothing = (none: NoLease) => answer([], none);
  // More held than this answer carried: no new leases until all came back.
  if (back?.next != null) return answer([], null);
  if (!mayLease(standing.budget, now, DEFAULT_ERROR_BUDGET)) {
    const until = leaseAgainAt(standing.budget, now, DEFAULT_ERROR_BUDGET);
    return nothing({ why: 'out_of_allowance', until });
  }
  if (room <= 0) return nothing({ why: 'full' });
  // Units still wanted of jobs it reported no speed for, and seconds of work still to hand out on those it did.
  let wanted = q.max;
  let seconds = DEFAULT_SIZING.targetSeconds;
  const open: JobFacts[] = [];
  for (const id of await tx.jobIds({ state: 'active', ...(q.project ? { project: q.project } : {}) }))
    open.push(await ctx.catalog.require(tx, id));
  const grants: { candidate: Candidate; replica: NewReplica; probe: boolean }[] = [];
  /** Each funder's funds as the grants of this lease leave them. */
  const fundsHere = new Map<string, { left: number; kept: number }>();
  let answerFull = false;
  // Jobs in a random order (within leaseOrder's groups): the first job fills a lease's 30 s, so in creation order a
  // researcher's new job waited behind the seeded demo's thousands of units for as long as they lasted. Each
  // active job now leads about as many leases as any other, as BOINC shares a host between projects.
  for (let i = open.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [open[i], open[j]] = [open[j] as JobFacts, open[i] as JobFacts];
  }
  for (const fit of leaseOrder(open, (job) => eligibility(job.definition.spec, q.capabilities))) {
    if (room <= 0 || answerFull) break;
    const { job, backend } = fit;
    const def = job.definition;
    const speed = speedOf(q.capabilities.speeds, job.id);
    const size = leaseSize({
      speed,
      leaseSeconds: def.leaseSeconds,
      room: speed === null ? Math.min(room, plainRoom) : room,
      wanted,
      seconds,
    });
    if (size.count <= 0) continue;
    let jobRoom = size.count;
    let funds: { left: number; kept: number } | null = null;
    if (job.funder) {
      // Only the replicas its funder can still pay for, counting those out already and those granted above.
      await tx.lockVolunteer(job.funder);
      funds = fundsHere.get(job.funder) ?? { ...(await fundsOf(ctx, job.funder, job.project)) };
      fundsHere.set(job.funder, funds);
      jobRoom = Math.min(jobRoom, fundedRoom(funds, def.costPerWorkUnit, def.redundancy.minQuorum).replicas);
      if (jobRoom <= 0) continue;
    }
    const planned = jobRoom;
    const deadline = now + size.leaseMs;
    /** Grants `candidate`, or answers false when its input no longer fits in the answer. */
    const grant = (candidate: Candidate, probe: boolean, attempt = 0): boolean => {
      if (!fits(candidate)) {
        answerFull = true;
        return false;
      }
      carry(candidate);
      const wu = candidate.workUnit;
      if (!probe) {
        const trust = trustPolicyOf(def.adaptive);
        const quorum =
          wu.issued === 0 && trust
            ? quorumFor(standing.reputation, now, trust, def.redundancy.minQuorum, random)
            : wu.issued === 0
              ? def.redundancy.minQuorum
              : wu.quorum;
        const next = { quorum, inFlight: wu.inFlight + 1, issued: wu.issued + 1 };
        const need = replicasWanted({ ...next, largestGroup: wu.agree, errors: wu.errors }, def.redundancy);
        changes.setUnit(wu, {
          ...next,
          // A validated unit leased again is being re-checked (recheck.ts): it keeps its result meanwhile.
          state: wu.state === 'validated' ? 'validated' : 'in_progress',
          need,
          ...(def.redundancy.homogeneous && wu.hrClass === null ? { hrClass: backend } : {}),
        });
        // What its started units still want, as fundsOf would read it after this grant.
        if (funds) funds.kept += def.costPerWorkUnit * (need - (wu.issued > 0 ? wu.need : 0));
      }
      if (funds) funds.left -= def.costPerWorkUnit;
      grants.push({
        probe,
        candidate,
        replica: { workUnit: wu.id, job: job.id, volunteer: q.volunteer, leasedAt: now, deadline, backend, attempt },
      });
      room--;
      plainRoom--;
      jobRoom--;
      return true;
    };
    if (def.knownAnswerRate > 0) {
      let probes: Candidate[] | null = null;
      for (let i = 0; i < jobRoom; i++) {
        if (random() >= def.knownAnswerRate) continue;
        probes ??= await tx.probeCandidates(job.id, q.volunteer, PROBES_READ, limits.inlineInputBytes);
        const pick = probes.splice(Math.floor(random() * probes.length), 1)[0];
        if (pick && !grant(pick, true)) break;
      }
    }
    // Units the key never held; only when there are none left for it (every window read to its end, not just the
    // few a draw reads: a crowded job's first windows may all be units the separation rule keeps it off), units it
    // may retake (a grid of few keys).
    let fresh = 0;
    let noneLeft = true;
    for (const retake of [false, true]) {
      if (retake && (fresh > 0 || !noneLeft)) break;
      for (const [units, most] of windowsFor(funds, def, jobRoom)) {
        if (jobRoom <= 0 || answerFull) break;
        const want = Math.min(jobRoom, most);
        const again = retake ? { endedBy: retakeEndedBy(now, def.leaseSeconds) } : null;
        const drawn = await drawUnits(ctx, job.id, backend, me, want, budget, units, again);
        if (want > 0 && !drawn.exhausted) noneLeft = false;
        for (const candidate of drawn.units) {
          if (!grant(candidate, false, drawn.attempts.get(candidate.workUnit.id) ?? 0)) break;
          fresh++;
        }
        if (drawn.full) answerFull = true;
      }
    }
    const n = planned - jobRoom;
    if (speed === null) wanted -= n;
    else seconds -= n / speed;
  }
  if (grants.length === 0) return nothing({ why: 'no_work' });
  const ids = await tx.insertReplicas(grants.map((g) => g.replica));
  changes.volunteer(q.volunteer).leased += grants.length;
  const granted = grants.map((g, i) => ({
    lease: ids[i] as GrantedLease['lease'],
    workUnit: g.replica.workUnit,
    job: g.replica.job as JobId,
    backend: g.replica.backend,
    deadline: g.replica.deadline,
    inputHash: g.candidate.workUnit.inputHash,
    input: g.candidate.input,
    // A known-answer unit is a unit of the job like any other (its result is its expected output): its tag
    // is one of the job's, sent on the same terms (a publishing job's) as the rest.
    tag: g.candidate.tag,
  }));
  return answer(granted, null);
}

/**
 * Which units to draw from, and at most how many of each: any wanting unit, unless the job's funder cannot pay
 * for all it would start, when its started units come first and new ones take only what their quorums leave.
 */
function windowsFor(
  funds: Funds | null,
  def: JobFacts['definition'],
  room: number,
): readonly (readonly [WindowUnits, number])[] {
  const fresh = funds ? fundedRoom(funds, def.costPerWorkUnit, def.redundancy.minQuorum).fresh : room;
  if (fresh >= room) return [['any', room]];
  return [
    ['started', room],
    ['new', fresh],
  ];
}

/** Held leases read per answer at most (a key's room is far below it by default). */
const HELD_READ = 1000;

/**
 * The key's open leases after `resume.after` that a page starting afresh takes back: those of active jobs of the
 * projects it serves that the device runs on the backend they were leased for (a lease's backend binds its
 * result), as many as the answer carries; `next` is the last lease looked at when more may be held.
 */
async function resumeHeld(
  ctx: StepContext,
  q: LeaseQuery,
  resume: NonNullable<LeaseQuery['resume']>,
  fits: (c: Candidate) => boolean,
  carry: (c: Candidate) => void,
): Promise<{ leases: GrantedLease[]; next: LeaseNumber | null }> {
  const { tx, now, limits } = ctx;
  const rows = await tx.heldLeases(q.volunteer, resume.after, now, HELD_READ, limits.inlineInputBytes);
  const leases: GrantedLease[] = [];
  let last: LeaseNumber | null = null;
  for (const held of rows) {
    if (!fits(held)) return { leases, next: last };
    last = held.lease;
    if (resume.projects && !resume.projects.includes(held.project)) continue;
    const fit = eligibility((await ctx.catalog.require(tx, held.job)).definition.spec, q.capabilities);
    if (!fit.ok || fit.backend !== held.backend) continue;
    carry(held);
    leases.push({
      lease: held.lease,
      workUnit: held.workUnit.id,
      job: held.job,
      backend: held.backend,
      deadline: held.deadline,
      inputHash: held.workUnit.inputHash,
      input: held.input,
      tag: held.tag,
    });
  }
  return { leases, next: rows.length === HELD_READ ? last : null };
}

/**
 * How many more leases the key may hold: its room grows with its validated results, under a ceiling over all
 * keys of its address. The operator's own addresses (SEPARATION_EXEMPT), and a key the token route never saw
 * (a caller of the store itself), have only the per-key cap. That cap is higher for a device whose reported
 * speed needs it (`keyCeiling`): `raised` with that speed, `plain` without it (for jobs it was not reported on).
 */
async function roomsOf(
  ctx: StepContext,
  volunteer: VolunteerRecord,
  exempt: boolean,
  speed: number | null,
): Promise<{ readonly raised: number; readonly plain: number }> {
  const { limits } = ctx;
  const inFlight = volunteer.leased - volunteer.returned;
  const address = exempt || !volunteer.origin ? null : await ctx.tx.heldByBucket(volunteer.origin.bucket);
  const room = (perKey: number) =>
    address === null
      ? volunteerRoom(inFlight, perKey)
      : leaseRoom(
          Number.POSITIVE_INFINITY,
          { key: inFlight, address, validated: volunteer.valid },
          { ...limits.leaseRoom, perKey },
        );
  const raised = room(keyCeiling(limits.maxLeasesPerVolunteer, speed));
  return { raised, plain: speed === null ? raised : room(keyCeiling(limits.maxLeasesPerVolunteer, null)) };
}
