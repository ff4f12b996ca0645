// A model of the coordinator's store, in memory, for the simulation: leasing, heartbeats, results, give-backs and
// expiry as the coordinator's steps do them (units drawn at random and separated, lease room and lifetimes:
// rules/assignment, rules/lease-limits; the retake rule, policies.ts `retake`), as the store did
// before issue 17's phase 2 (`id-order`: units in id order, probes drawn per lease slot, 256 leases a key,
// heartbeats that renew without limit); the keys' standing (rules/error-budget, rules/reputation) as the
// coordinator judges it, or as proposed (policies.ts `results`). It is a model, labelled so in every report: the
// real coordinator's runs are the truth for what is shipped, and adversary.test.ts holds the two against each
// other.
import { type Random, seededRandom } from '../../../apps/coordinator/src/clock';
import { DEFAULT_CONFIG } from '../../../apps/coordinator/src/config';
import { RateLimiter } from '../../../apps/coordinator/src/http/rate-limit';
import { type Holder, mayHold, networkOf, retakeEndedBy, sample } from '../../../apps/coordinator/src/rules/assignment';
import { mayLease, newBudget } from '../../../apps/coordinator/src/rules/error-budget';
import { leaseRoom, renewedDeadline } from '../../../apps/coordinator/src/rules/lease-limits';
import { isTrusted, NEW_KEY, quorumFor as reputationQuorum } from '../../../apps/coordinator/src/rules/reputation';
import { quorumFor } from '../../../apps/coordinator/src/rules/trust';
import type { FinishedUnit, Grid, LeasedUnit, Member, Returned, UploadUnit } from '../grid';
import type { Policy } from '../policies';
import { square } from '../../../apps/coordinator/src/testing/fixtures';
import { type MKey, type MReplica, type MUnit, sameBytes } from './state';
import { noteLost, retakeable } from './retake';
import { judge, onError, onGiveBack, type VerdictContext, votes } from './verdicts';

const LEASE_SECONDS = 600;
const TIME_BUDGET_MS = 60_000;
/** sqlite-store.ts's `maxLeasesPerVolunteer` default. */
const TODAY_MAX_LEASES = DEFAULT_CONFIG.maxLeasesPerVolunteer;
/** Probes offered per lease slot to keys not yet trusted, under the phase-2 policies. */
const UNTRUSTED_PROBE_FACTOR = 2;

export class ModelGrid implements Grid {
  readonly kind = 'model' as const;
  private now = 1_700_000_000_000;
  private readonly random: Random;
  private readonly keys = new Map<string, MKey>();
  private readonly replicas = new Map<string, MReplica>();
  private readonly live = new Set<MReplica>();
  private readonly heldByAddress = new Map<string, number>();
  private readonly newIdentities: RateLimiter;
  private units: MUnit[] = [];
  private probes: MUnit[] = [];
  /** The lowest index of a unit that may want a replica: leasing scans from here, as the store's index does. */
  private lowWater = 0;
  private nextReplica = 1;
  private nextKey = 1;

  constructor(
    private readonly policy: Policy,
    seed: number,
  ) {
    this.random = seededRandom(seed);
    this.newIdentities = new RateLimiter(DEFAULT_CONFIG.newIdentities, { now: () => this.now });
  }

  async join(address: string): Promise<Member | null> {
    if (!this.newIdentities.take(address).ok) return null;
    const key = `k${this.nextKey++}`;
    this.keys.set(key, {
      key,
      address,
      network: networkOf(address),
      firstSeen: this.now,
      trust: { consecutiveValid: 0, flagged: false },
      reputation: { ...NEW_KEY, at: this.now },
      budget: newBudget(this.now, this.policy.errorBudget ?? { initial: 0, max: 0, perValid: 0, perHour: 0, floor: 0 }),
      validated: 0,
      spotChecks: 0,
      held: new Set(),
      probed: new Set(),
      lost: new Map(),
      votes: [],
    });
    return { key, address };
  }

  async lease(member: Member, max: number): Promise<LeasedUnit[]> {
    const key = this.requireKey(member);
    const granted = this.policy.leasing === 'id-order' ? this.leaseInIdOrder(key, max) : this.leaseHardened(key, max);
    return granted.map((r) => ({
      lease: String(r.id),
      unit: `${r.unit.state === 'probe' ? 'p' : 'u'}${r.unit.index}`,
      input: r.unit.input,
    }));
  }

  async heartbeat(member: Member, leases: readonly string[]): Promise<ReadonlyMap<string, number>> {
    const key = this.requireKey(member);
    const left = new Map<string, number>();
    for (const id of leases) {
      const r = this.replicas.get(id);
      if (!this.open(r, key)) continue;
      r.deadline =
        this.policy.leasing === 'id-order'
          ? this.now + LEASE_SECONDS * 1000
          : renewedDeadline(
              { leasedAt: r.leasedAt, leaseSeconds: LEASE_SECONDS, timeBudgetMs: TIME_BUDGET_MS },
              this.now,
            );
      left.set(id, r.deadline - this.now);
    }
    return left;
  }

  async release(member: Member, leases: readonly string[]): Promise<number> {
    const key = this.requireKey(member);
    const ctx = this.context();
    let released = 0;
    for (const id of leases) {
      const r = this.replicas.get(id);
      if (!this.open(r, key)) continue;
      this.drop(r);
      onGiveBack(ctx, r);
      noteLost(r, this.now);
      released++;
    }
    return released;
  }

  async submit(member: Member, results: readonly Returned[]): Promise<number> {
    const key = this.requireKey(member);
    const ctx = this.context();
    let accepted = 0;
    for (const result of results) {
      const r = this.replicas.get(result.lease);
      if (!this.open(r, key)) continue;
      this.drop(r);
      if (result.kind === 'error') onError(ctx, r, false);
      else judge(ctx, r, result.output);
      accepted++;
    }
    return accepted;
  }

  async startJob(units: readonly UploadUnit[]): Promise<void> {
    for (const u of this.units) if (u.state === 'unsent' || u.state === 'in_progress') u.state = 'failed';
    for (const u of this.probes) u.state = 'failed';
    const make = (u: UploadUnit, index: number): MUnit => ({
      index,
      tag: u.expected ? null : u.tag,
      input: u.input,
      expected: u.expected ?? null,
      state: u.expected ? 'probe' : 'unsent',
      quorum: this.policy.minQuorum,
      need: u.expected ? 0 : this.policy.minQuorum,
      inFlight: 0,
      issued: 0,
      errors: 0,
      replicas: [],
      canonical: null,
      everWrong: false,
    });
    // `index` is a unit's place in its own list: leasing scans `units` by it.
    this.units = units.filter((u) => !u.expected).map(make);
    this.probes = units.filter((u) => u.expected).map(make);
    this.lowWater = 0;
  }

  /** Every unit validated or failed, and (as the coordinator completes a job) no re-check still out. */
  async finished(): Promise<boolean> {
    const rechecking = (u: MUnit) =>
      this.policy.results === 'coordinator' && u.replicas.filter((r) => r.state === 'valid').length < u.quorum;
    return this.units.every((u) => u.state === 'failed' || (u.state === 'validated' && !rechecking(u)));
  }

  async results(): Promise<Map<string, FinishedUnit>> {
    const found = new Map<string, FinishedUnit>();
    for (const u of this.units)
      if (u.state === 'validated' || u.state === 'failed')
        found.set(u.tag as string, { state: u.state, output: u.canonical?.output ?? null });
    return found;
  }

  /** Units that validated on a wrong result at some point, and that a re-check later corrected. */
  corrected(): number {
    return this.units.filter(
      (u) => u.everWrong && u.state === 'validated' && sameBytes(u.canonical?.output as Uint8Array, square(u.input)),
    ).length;
  }

  async advance(ms: number): Promise<void> {
    this.now += ms;
    const ctx = this.context();
    for (const r of [...this.live])
      if (r.deadline < this.now) {
        this.drop(r);
        onError(ctx, r, true);
        noteLost(r, r.deadline);
      }
  }

  async close(): Promise<void> {
    // Nothing to release: the model lives in memory.
  }

  private context(): VerdictContext {
    return {
      policy: this.policy,
      now: this.now,
      random: this.random,
      wanting: (unit) => {
        if (unit.index < this.lowWater) this.lowWater = unit.index;
      },
    };
  }

  /** Whether `r` is a lease of `key` still open (not ended, not past its deadline). */
  private open(r: MReplica | undefined, key: MKey): r is MReplica {
    return r !== undefined && r.key === key && r.state === 'leased' && r.deadline >= this.now;
  }

  private requireKey(member: Member): MKey {
    const key = this.keys.get(member.key);
    if (!key) throw new Error(`unknown key ${member.key}`);
    return key;
  }

  /** sqlite-store.ts's lease(): probes drawn per slot at the job's rate, then wanting units in id order. */
  private leaseInIdOrder(key: MKey, max: number): MReplica[] {
    let room = Math.min(max, TODAY_MAX_LEASES - key.held.size);
    const granted: MReplica[] = [];
    if (room <= 0) return granted;
    if (this.policy.knownAnswerRate > 0 && this.probes.length > 0) {
      let pool: MUnit[] | null = null;
      for (let i = 0; i < room; i++) {
        if (this.random() >= this.policy.knownAnswerRate) continue;
        pool ??= this.probes.filter((p) => p.state === 'probe' && !key.probed.has(p)).slice(0, 64);
        const pick = pool.splice(Math.floor(this.random() * pool.length), 1)[0];
        if (pick) {
          granted.push(this.grant(pick, key));
          room--;
        }
      }
    }
    for (const unit of this.wantingUnits(key, room, () => true)) {
      if (unit.issued === 0 && this.policy.trust.kind === 'adaptive')
        unit.quorum = quorumFor(key.trust, { enabled: true, ...this.policy.trust }, this.policy.minQuorum, this.random);
      granted.push(this.grant(unit, key));
    }
    return granted;
  }

  /**
   * The coordinator's leasing: the key's lease room, probes (under phase 2's trust, more for keys not yet
   * trusted), units drawn at random, separated.
   */
  private leaseHardened(key: MKey, max: number): MReplica[] {
    const { policy, now } = this;
    if (policy.errorBudget && !mayLease(key.budget, now, policy.errorBudget)) return [];
    const room = policy.leaseRoom
      ? leaseRoom(
          max,
          { key: key.held.size, address: this.heldByAddress.get(key.address) ?? 0, validated: key.validated },
          policy.leaseRoom,
        )
      : Math.min(max, TODAY_MAX_LEASES - key.held.size);
    if (room <= 0) return [];
    const granted: MReplica[] = [];
    const silenced = !votes(policy, key);
    const proposed = policy.results === 'proposed';
    // The coordinator leases a key that no longer votes nothing; as proposed, it is given known answers only
    // (it cannot tell, and wastes no real replica).
    if (silenced && !proposed) return granted;
    const trusted = policy.trust.kind === 'reputation' && isTrusted(key.reputation, now, policy.trust.policy);
    const rate = silenced
      ? 1
      : proposed && !trusted
        ? policy.knownAnswerRate * UNTRUSTED_PROBE_FACTOR
        : policy.knownAnswerRate;
    for (let i = 0; i < room; i++) {
      if (this.random() >= rate) continue;
      const probe = this.freshProbe(key);
      if (probe) granted.push(this.grant(probe, key));
    }
    if (silenced) return granted;
    const separate = (unit: MUnit) =>
      !policy.separation ||
      mayHold(
        unit.replicas.map((r) => holder(r.key)),
        holder(key),
        now,
        policy.separation,
      );
    const want = room - granted.length;
    const window = this.wantingUnits(key, Math.max(64, 4 * want), separate);
    let drawn = sample(window, want, this.random);
    // The retake rule's fallback: only when the ordinary draw gave the key nothing (known answers aside).
    if (policy.retake && drawn.length === 0 && want > 0) {
      const endedBy = retakeEndedBy(now, LEASE_SECONDS, policy.retake);
      drawn = sample(retakeable(key, holder, policy.separation, now, endedBy), want, this.random);
      for (const unit of drawn) key.lost.delete(unit);
    }
    for (const unit of drawn) {
      if (unit.issued === 0 && policy.trust.kind === 'reputation' && policy.trust.replicate)
        unit.quorum = reputationQuorum(key.reputation, now, policy.trust.policy, policy.minQuorum, this.random);
      if (unit.issued === 0 && policy.trust.kind === 'adaptive')
        unit.quorum = quorumFor(key.trust, { enabled: true, ...policy.trust }, policy.minQuorum, this.random);
      granted.push(this.grant(unit, key));
    }
    return granted;
  }

  /** A known-answer unit the key was never given, drawn at random (a few tries: the key may have had most). */
  private freshProbe(key: MKey): MUnit | null {
    for (let attempt = 0; attempt < 8 && this.probes.length > 0; attempt++) {
      const p = this.probes[Math.floor(this.random() * this.probes.length)] as MUnit;
      if (p.state === 'probe' && !key.probed.has(p)) return p;
    }
    return null;
  }

  /**
   * Up to `limit` units wanting a replica that this key never held and `ok` allows, in id order (a validated
   * unit wants one while it is re-checked).
   */
  private wantingUnits(key: MKey, limit: number, ok: (unit: MUnit) => boolean): MUnit[] {
    const found: MUnit[] = [];
    let first = true;
    for (let i = this.lowWater; i < this.units.length && found.length < limit; i++) {
      const unit = this.units[i] as MUnit;
      if (unit.need <= 0 || unit.state === 'failed') {
        if (first) this.lowWater = i + 1;
        continue;
      }
      first = false;
      if (!heldBy(unit, key) && ok(unit)) found.push(unit);
    }
    return found;
  }

  private grant(unit: MUnit, key: MKey): MReplica {
    const r: MReplica = {
      id: this.nextReplica++,
      unit,
      key,
      state: 'leased',
      leasedAt: this.now,
      deadline: this.now + LEASE_SECONDS * 1000,
      output: null,
    };
    unit.replicas.push(r);
    if (unit.state === 'probe') key.probed.add(unit);
    else {
      unit.inFlight++;
      unit.issued++;
      // A validated unit leased again is being re-checked: it keeps its result meanwhile.
      if (unit.state !== 'validated') unit.state = 'in_progress';
      unit.need = Math.max(0, unit.quorum - unit.inFlight - agreeing(unit));
      unit.need = Math.min(unit.need, Math.max(0, this.policy.maxTotalResults - unit.issued));
    }
    key.held.add(r);
    this.live.add(r);
    this.replicas.set(String(r.id), r);
    this.heldByAddress.set(key.address, (this.heldByAddress.get(key.address) ?? 0) + 1);
    return r;
  }

  /** The replica leaves its key's holdings and the live set (however it ended). */
  private drop(r: MReplica): void {
    r.key.held.delete(r);
    this.live.delete(r);
    this.heldByAddress.set(r.key.address, (this.heldByAddress.get(r.key.address) ?? 1) - 1);
  }
}

const heldBy = (unit: MUnit, key: MKey): boolean =>
  unit.state === 'probe' ? key.probed.has(unit) : unit.replicas.some((r) => r.key === key);

const holder = (key: MKey): Holder => ({
  volunteer: key.key,
  address: key.address,
  network: key.network,
  firstSeen: key.firstSeen,
});

/** The largest group of agreeing results a unit has now (a validated one's: those that validated it). */
function agreeing(unit: MUnit): number {
  if (unit.state === 'validated') return unit.replicas.filter((r) => r.state === 'valid').length;
  const outputs: Uint8Array[][] = [];
  for (const r of unit.replicas) {
    if (r.state !== 'returned' || !r.output) continue;
    const g = outputs.find((x) => Buffer.compare(x[0] as Uint8Array, r.output as Uint8Array) === 0);
    if (g) g.push(r.output);
    else outputs.push([r.output]);
  }
  return outputs.reduce((n, g) => Math.max(n, g.length), 0);
}
