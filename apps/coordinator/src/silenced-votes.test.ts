// Sarmenta's backtracking in the real coordinator, on every store backend: when keys stop voting, each one's vote
// is taken off the quorums that counted it, once, and only from the quorum that counts it now. Two cabal keys caught
// in one transaction leave their shared unit wanting two honest results, not one; a unit taken back by a re-check
// and validated anew by others keeps that new quorum when a key of its old one is caught later.
import { API, type Lease } from '@bricolage/protocol';
import { expect, it } from 'vitest';
import { ManualClock, seededRandom } from './clock';
import { checkBooks } from './testing/books';
import { describeBackends } from './testing/backends';
import { square, wrongSquare } from './testing/fixtures';
import { useGrid } from './testing/grid-fixture';
import { SimVolunteer } from './testing/sim-volunteer';

/** A wrong answer other than `wrongSquare`'s: two keys giving these disagree with each other too. */
const otherWrongSquare = (input: Uint8Array): Uint8Array => {
  const out = square(input);
  out[1] = (out[1] ?? 0) ^ 1;
  return out;
};
const STRICT = { adaptive: { enabled: false, trustAfter: 5, spotCheckRate: 0.1 } };

describeBackends('a silenced key’s quorum votes', (backend) => {
  const grid = useGrid(backend, {
    name: 'silenced-votes',
    start: () => ({ clock: new ManualClock(), random: seededRandom(17), project: 'silenced' }),
  });
  const volunteers = (n: number) =>
    Promise.all(Array.from({ length: n }, () => SimVolunteer.create(grid.coordinator.url)));
  const validatedIds = async (job: string) =>
    (await grid.researcher.results(job)).filter((r) => r.state === 'validated').map((r) => String(r.workUnit));
  const setState = async (job: string, to: 'pause' | 'resume') =>
    expect((await grid.researcher.request('POST', to === 'pause' ? API.pause(job) : API.resume(job))).ok).toBe(true);

  /**
   * A job of two units that `a` and `b` both lease: on the first (returned) both give `wrongSquare`, a quorum of
   * two; both keep the second in hand, so that the job stays active (re-checks look at active and paused jobs).
   */
  async function sharedLie(a: SimVolunteer, b: SimVolunteer): Promise<{ job: string; lied: string }> {
    const job = await grid.researcher.createSquareJob({ name: 'shared', ...STRICT });
    await grid.researcher.addSquares(job, 1, 2);
    const mine = (await a.lease(2)).leases;
    const theirs = (await b.lease(2)).leases;
    expect(mine).toHaveLength(2);
    expect(theirs).toHaveLength(2);
    const lied = mine[0]!.workUnit;
    const on = (leases: readonly Lease[]) => leases.filter((l) => l.workUnit === lied);
    await a.computeAndSubmit(on(mine), wrongSquare);
    await b.computeAndSubmit(on(theirs), wrongSquare);
    expect(await validatedIds(job)).toEqual([lied]);
    return { job, lied };
  }

  /**
   * A one-unit job on which `a` and `b` give two different wrong answers and two honest keys the right one: the
   * second honest result makes the quorum, and both wrong keys are outvoted in that one transaction.
   */
  async function outvoteBoth(name: string, a: SimVolunteer, b: SimVolunteer, honest: SimVolunteer[]): Promise<void> {
    const job = await grid.researcher.createSquareJob({ name, ...STRICT });
    await grid.researcher.addSquares(job, 100, 1);
    await a.computeAndSubmit((await a.lease(1)).leases, wrongSquare);
    await b.computeAndSubmit((await b.lease(1)).leases, otherWrongSquare);
    for (const v of honest) {
      const { leases } = await v.lease(1);
      expect(leases).toHaveLength(1);
      await v.computeAndSubmit(leases, square);
    }
    expect(await validatedIds(job)).toHaveLength(1);
  }

  it('takes off the vote of each of two keys silenced in one transaction: their unit wants two more results', async () => {
    const [a, b, third, h1, h2, honest] = await volunteers(6);
    // Outvoted once each: one strike short of silence.
    await outvoteBoth('first', a!, b!, [h1!, h2!]);
    expect(await a!.stats()).toMatchObject({ invalid: 1, flagged: false });
    const { job, lied } = await sharedLie(a!, b!);
    await setState(job, 'pause');
    // Outvoted again, both by the one result that makes the quorum: both stop voting in its transaction.
    await outvoteBoth('second', a!, b!, [h1!, h2!]);
    for (const v of [a!, b!]) expect(await v.stats()).toMatchObject({ flagged: true });
    await setState(job, 'resume');
    // Neither vote counts now: the lie has no vote left and wants a quorum's worth of others. A third cabal key's
    // agreement is one of the two; an honest key gets the other, and its answer takes the lie back.
    const cabal = (await third!.lease(2)).leases;
    expect(cabal.map((l) => l.workUnit)).toEqual([lied]);
    const audit = (await honest!.lease(2)).leases;
    expect(audit.map((l) => l.workUnit)).toEqual([lied]);
    await third!.computeAndSubmit(cabal, wrongSquare);
    expect(await validatedIds(job)).toEqual([lied]);
    await honest!.computeAndSubmit(audit, square);
    expect(await validatedIds(job)).toEqual([]);
    expect(await checkBooks(grid.db.query, () => true)).toEqual([]);
  });

  it('takes off no vote of a key from a quorum that no longer counted it: a unit validated anew keeps its quorum', async () => {
    const [a, b, h1, h2, late] = await volunteers(5);
    const { job, lied } = await sharedLie(a!, b!);
    // The known answers that catch each cabal key in turn, paused between whiles.
    const probes = await grid.researcher.createSquareJob({ name: 'probes', knownAnswerRate: 1 });
    await grid.researcher.addSquares(probes, 1000, 0, 1);
    const failProbe = async (v: SimVolunteer) => {
      await setState(probes, 'resume');
      await v.computeAndSubmit((await v.lease(1)).leases, wrongSquare);
      expect(await v.stats()).toMatchObject({ flagged: true });
      await setState(probes, 'pause');
    };
    // `a`, whose result is the canonical one, is caught: its vote no longer counts; an honest re-check disputes the
    // lie and takes the unit back; a second honest key validates it anew, with the right answer.
    await failProbe(a!);
    for (const v of [h1!, h2!]) {
      const { leases } = await v.lease(2);
      expect(leases.map((l) => l.workUnit)).toEqual([lied]);
      await v.computeAndSubmit(leases, square);
    }
    expect(await validatedIds(job)).toEqual([lied]);
    // `b`, caught later, voted only in the old quorum: the new one stands, wanting nobody.
    await failProbe(b!);
    expect((await late!.lease(2)).leases).toEqual([]);
    const [line] = await grid.researcher.results(job);
    expect(line).toMatchObject({ workUnit: lied, state: 'validated' });
    expect(await checkBooks(grid.db.query, () => true)).toEqual([]);
  });
});
