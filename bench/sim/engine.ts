// Runs one scenario under one policy on one grid: volunteers join, and round after round (a simulated minute
// each) lease, compute as their role says and return results, until the measured job has finished or nothing
// moves any more. A scenario with a history first runs a warm-up job, in which honest volunteers earn trust
// and Sybils farm it. Then it counts what the researcher received: wrong results among the validated ones,
// results computed per validated unit, failed units, and simulated time.
import { seededRandom, type Random } from '../../apps/coordinator/src/clock';
import { retakeWaitPeriods } from '../../apps/coordinator/src/rules/assignment';
import { square, squareInput } from '../../apps/coordinator/src/testing/fixtures';
import { answer, Cabal, type Role, type SimVolunteer } from './behaviours';
import type { Grid, Member, Returned, UploadUnit } from './grid';
import type { Policy } from './policies';
import type { Scale, Scenario } from './scenarios';

export const ROUND_MS = 60_000;
/**
 * Rounds without an accepted result after which a job counts as stalled: more than two lease lifetimes (2 × 21
 * minutes), the longest a key may keep a unit from the others when it retakes it (policies.ts `retake`), so
 * that a job waiting out a hoarder's retakes is not taken for one that no key may finish; plus, under the retake
 * rule, its longest wait (`stallRounds`), so that a unit waiting for its last retake is not taken for one either.
 */
const STALL_ROUNDS = 60;
/** The jobs' lease period (policies.ts jobRequest `leaseSeconds`), in rounds. */
const LEASE_ROUNDS = 10;
const stallRounds = (policy: Policy): number =>
  STALL_ROUNDS + (policy.retake ? retakeWaitPeriods(policy.retake.most, policy.retake) * LEASE_ROUNDS : 0);
const MAX_ROUNDS = 2000;
/** Known-answer units: one per this many ordinary units (as the demo's primes job has them). */
const PROBE_EVERY = 25;
/**
 * Units a volunteer takes per round in the warm-up, as a multiple of its speed: the warm-up is history, not
 * measured, and larger batches make it four times cheaper in requests.
 */
const WARMUP_PACE = 4;

export interface RunResult {
  readonly scenario: string;
  readonly policy: string;
  readonly grid: Grid['kind'];
  readonly units: number;
  readonly validated: number;
  readonly failed: number;
  /** Validated units whose result is wrong, as the researcher finally holds them. */
  readonly wrong: number;
  /** Validated on a wrong result at some point and corrected by a re-check since (the model counts these). */
  readonly corrected: number | null;
  readonly results: number;
  readonly accepted_error_rate: number;
  readonly results_per_validated: number;
  /** Simulated minutes from the measured job's upload until every unit finished; null when it stalled. */
  readonly minutes: number | null;
  /** Whether a newcomer got work on its first request (scenarios with one). */
  readonly newcomer_served: boolean | null;
  /** Keys the attacker's one address got in, of those it tried. */
  readonly attacker_keys: { readonly joined: number; readonly tried: number } | null;
}

export interface RunOptions {
  readonly scenario: Scenario;
  readonly policy: Policy;
  readonly grid: Grid;
  readonly scale: Scale;
  readonly seed: number;
}

/** Whether the policy remembers anything of a volunteer's past (else a warm-up changes nothing). */
const hasHistory = (p: Policy): boolean => p.trust.kind !== 'none' || p.leasing === 'hardened';

export async function runScenario(o: RunOptions): Promise<RunResult> {
  const { scenario, policy, grid } = o;
  const scale: Scale = {
    ...o.scale,
    volunteers: scenario.volunteers ?? o.scale.volunteers,
    units: scenario.units ?? o.scale.units,
  };
  const random = seededRandom(o.seed);
  const volunteers = makeVolunteers(scenario, scale, random);
  let nextAddress = volunteers.length;
  if (scenario.warmup > 0 && hasHistory(policy)) {
    await grid.startJob(makeUnits(Math.ceil((scale.volunteers * scenario.warmup) / 2), 0, policy));
    await play(grid, volunteers, scenario, random, null, stallRounds(policy), WARMUP_PACE);
  }
  for (const v of volunteers) if (v.cabal && v.role === 'defector') v.cabal.defecting = true;
  const base = 400_000_000;
  const units = makeUnits(scale.units, base, policy);
  await grid.startJob(units);
  const newcomer: { served: boolean | null; address: () => string } = {
    served: null,
    address: () => addressOf(nextAddress++),
  };
  const played = await play(grid, volunteers, scenario, random, newcomer, stallRounds(policy));
  const found = await grid.results();
  let validated = 0;
  let failed = 0;
  let wrong = 0;
  for (const u of units) {
    if (u.expected) continue;
    const r = found.get(u.tag);
    if (r?.state === 'failed') failed++;
    if (r?.state !== 'validated') continue;
    validated++;
    if (!r.output || Buffer.compare(Buffer.from(r.output), Buffer.from(square(u.input))) !== 0) wrong++;
  }
  const attackers = volunteers.filter((v) => scenario.oneAddress.includes(v.role));
  return {
    scenario: scenario.name,
    policy: policy.name,
    grid: grid.kind,
    units: scale.units,
    validated,
    failed,
    wrong,
    corrected: 'corrected' in grid ? (grid as { corrected(): number }).corrected() : null,
    results: played.results,
    accepted_error_rate: validated > 0 ? wrong / validated : 0,
    results_per_validated: validated > 0 ? played.results / validated : Number.POSITIVE_INFINITY,
    minutes: played.finished ? (played.rounds * ROUND_MS) / 60_000 : null,
    newcomer_served: newcomer.served,
    attacker_keys:
      attackers.length > 0 ? { joined: attackers.filter((v) => v.member).length, tried: attackers.length } : null,
  };
}

interface Newcomer {
  served: boolean | null;
  address(): string;
}

/** Rounds until the current job finishes or stalls; counts the results the grid accepted. */
async function play(
  grid: Grid,
  volunteers: SimVolunteer[],
  scenario: Scenario,
  random: Random,
  newcomer: Newcomer | null,
  stall: number,
  pace = 1,
): Promise<{ rounds: number; results: number; finished: boolean }> {
  let results = 0;
  let quiet = 0;
  for (const v of volunteers) v.idleUntil = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    for (const v of volunteers) if (!v.member) v.member = await grid.join(v.address);
    if (newcomer && round === scenario.newcomerRound) {
      const fresh = makeVolunteer(volunteers.length, 'honest', newcomer.address(), 2, null);
      fresh.member = await grid.join(fresh.address);
      newcomer.served = fresh.member !== null && (await grid.lease(fresh.member, 2)).length > 0;
      volunteers.push(fresh);
    }
    let accepted = 0;
    for (const v of arrange(volunteers, random)) accepted += await act(grid, v, round, scenario, random, pace);
    results += accepted;
    await grid.advance(ROUND_MS);
    if (await grid.finished()) return { rounds: round + 1, results, finished: true };
    quiet = accepted > 0 ? 0 : quiet + 1;
    if (quiet >= stall) return { rounds: round + 1, results, finished: false };
  }
  return { rounds: MAX_ROUNDS, results, finished: false };
}

/** One volunteer's turn in a round; returns the computed results the grid accepted from it. */
async function act(
  grid: Grid,
  v: SimVolunteer,
  round: number,
  scenario: Scenario,
  random: Random,
  pace: number,
): Promise<number> {
  const member = v.member;
  if (!member || round < v.idleUntil) return 0;
  if (v.role === 'hoarder') {
    const leases = await grid.lease(member, 256);
    v.held.push(...leases.map((l) => l.lease));
    if (v.held.length > 0) await grid.heartbeat(member, v.held);
    return 0;
  }
  if (v.role === 'returner') {
    await giveBackAndLease(grid, v, member);
    return 0;
  }
  const leases = await grid.lease(member, v.role === 'griefer' ? 256 : v.speed * pace);
  if (leases.length === 0) {
    // Told there is no work: ask again later, backing off up to 8 rounds as the page does.
    v.idleUntil = round + Math.min(8, 2 ** v.idleRounds++);
    return 0;
  }
  v.idleRounds = 0;
  const returned: Returned[] = [];
  for (const l of leases) {
    const a = answer(v, l, scenario.sabotageRate, random);
    if (a.kind === 'ok') returned.push({ kind: 'ok', lease: l.lease, output: a.output });
    else if (a.kind === 'error') returned.push({ kind: 'error', lease: l.lease });
  }
  const accepted = await grid.submit(member, returned);
  // Computed results count; error results computed nothing (their cost is the units' failures and delays).
  return Math.min(accepted, returned.filter((r) => r.kind === 'ok').length);
}

/**
 * A give-back hoarder's turn: renews what it holds, gives back the leases the grid would end before its next turn
 * (the sweep after this round), and leases again at once.
 */
async function giveBackAndLease(grid: Grid, v: SimVolunteer, member: Member): Promise<void> {
  if (v.held.length > 0) {
    const left = await grid.heartbeat(member, v.held);
    const due = v.held.filter((l) => left.has(l) && (left.get(l) as number) <= ROUND_MS);
    v.held = v.held.filter((l) => left.has(l) && (left.get(l) as number) > ROUND_MS);
    if (due.length > 0) await grid.release(member, due);
  }
  const leases = await grid.lease(member, 256);
  v.held.push(...leases.map((l) => l.lease));
}

/** A random order each round, every cabal's members together: they coordinate to lease back to back. */
function arrange(volunteers: readonly SimVolunteer[], random: Random): SimVolunteer[] {
  const order = [...volunteers];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] as SimVolunteer, order[i] as SimVolunteer];
  }
  const placed = new Set<Cabal>();
  const out: SimVolunteer[] = [];
  for (const v of order) {
    if (!v.cabal) out.push(v);
    else if (!placed.has(v.cabal)) {
      placed.add(v.cabal);
      out.push(...order.filter((m) => m.cabal === v.cabal));
    }
  }
  return out;
}

function makeUnits(count: number, base: number, policy: Policy): UploadUnit[] {
  const units: UploadUnit[] = [];
  for (let i = 0; i < count; i++) {
    const input = squareInput(base + 4 * i);
    units.push({ tag: String(i), input });
    if (policy.probes === 'copies' && i % PROBE_EVERY === 0)
      units.push({ tag: `k${i}`, input, expected: square(input) });
  }
  if (policy.probes === 'fresh')
    for (let i = 0; i < Math.ceil(count / PROBE_EVERY); i++) {
      const input = squareInput(base + 4 * count + 4 * i);
      units.push({ tag: `k${i}`, input, expected: square(input) });
    }
  return units;
}

/** A volunteer's own address, each in its own /24: honest volunteers come from all over. */
const addressOf = (i: number) => `${11 + ((i >> 16) & 127)}.${(i >> 8) & 255}.${i & 255}.7`;
const ATTACKER_ADDRESS = '192.0.2.66';

function makeVolunteer(
  index: number,
  role: Role,
  address: string,
  speed: number,
  cabal: Cabal | null,
  lazyMode: 'constant' | 'replay' = 'constant',
): SimVolunteer {
  return {
    index,
    role,
    address,
    speed,
    cabal,
    lazyMode,
    member: null,
    held: [],
    last: null,
    idleUntil: 0,
    idleRounds: 0,
  };
}

function makeVolunteers(scenario: Scenario, scale: Scale, random: Random): SimVolunteer[] {
  const roles: Role[] = [];
  for (const [role, fraction] of Object.entries(scenario.mix) as [Role, number][])
    for (let i = 0; i < Math.round(fraction * scale.volunteers); i++) roles.push(role);
  if (scenario.attackerKeys) for (let i = 0; i < scenario.attackerKeys; i++) roles.push(scenario.oneAddress[0] as Role);
  while (roles.length < scale.volunteers) roles.push('honest');
  const cabals = new Map<Role, Cabal>([
    ['colluder', new Cabal(true)],
    ['sybil', new Cabal(true)],
    ['defector', new Cabal(false)],
  ]);
  let lazy = 0;
  return roles.map((role, i) =>
    makeVolunteer(
      i,
      role,
      scenario.oneAddress.includes(role) ? ATTACKER_ADDRESS : addressOf(i),
      // Devices differ: one to four units a minute.
      1 + Math.floor(random() * 4),
      cabals.get(role) ?? null,
      role === 'lazy' && lazy++ % 2 === 1 ? 'replay' : 'constant',
    ),
  );
}
