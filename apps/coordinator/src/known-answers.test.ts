// Known answers in the real coordinator, over HTTP on every store backend, with keys of distinct networks (they
// claim their addresses through X-Forwarded-For, which the coordinator trusts from loopback): a wrong expected
// answer of the operator's project silences no honest key for good, and a cabal cannot get a true one set aside.
import { API, type Lease, type LeaseResponse, toBase64 } from '@bricolage/protocol';
import { expect, it } from 'vitest';
import { ManualClock, seededRandom } from './clock';
import { SUSPECT_VOUCH } from './rules/known-answers';
import { describeBackends } from './testing/backends';
import { square, squareInput, wrongSquare } from './testing/fixtures';
import { useGrid } from './testing/grid-fixture';
import { GPU_CAPABILITIES, SimVolunteer } from './testing/sim-volunteer';

const quiet = () => undefined;

describeBackends('known answers', (backend) => {
  /** Each test's own, made anew with its grid. */
  let clock = new ManualClock();
  const grid = useGrid(backend, {
    name: 'known-answers',
    start: () => {
      clock = new ManualClock();
      return {
        clock,
        random: seededRandom(17),
        config: { trustProxy: 'loopback' },
        log: quiet,
        project: 'known-answers',
      };
    },
  });
  /** A key of its own network (10.0.1.0/24, 10.0.2.0/24 and so on): the networks a known answer counts are distinct. */
  const enrol = (network: number) => SimVolunteer.create(grid.coordinator.url, `10.0.${network}.1`);

  /** Gives each key SUSPECT_VOUCH validated results (a job whose results need no second one), and its say. */
  async function vouch(keys: readonly SimVolunteer[]): Promise<void> {
    const job = await grid.researcher.createSquareJob({
      name: 'vouch',
      redundancy: { minQuorum: 1, maxTotalResults: 2, maxErrorResults: 1, homogeneous: false },
    });
    await grid.researcher.addSquares(job, 100, SUSPECT_VOUCH * keys.length);
    for (const v of keys) {
      const leases = (await v.lease(SUSPECT_VOUCH)).leases;
      expect(leases).toHaveLength(SUSPECT_VOUCH);
      await v.computeAndSubmit(leases, square);
    }
  }

  /** A job of the operator's project whose one unit is a known answer expecting `expected` of input 7. */
  async function knownAnswerJob(expected: Uint8Array): Promise<string> {
    const job = await grid.researcher.createSquareJob({ name: 'known', knownAnswerRate: 1 });
    const line = { input: toBase64(squareInput(7)), expected: toBase64(expected) };
    const res = await grid.researcher.request(
      'POST',
      API.workUnits(job),
      `${JSON.stringify(line)}\n`,
      'application/x-ndjson',
    );
    expect(res.ok).toBe(true);
    return job;
  }

  /**
   * A known answer expecting a wrong square, leased by `holders` keys, then found out (failed) by a newcomer and three
   * vouched keys: its job, the holding keys (networks 5, 6, …) and the lease each holds.
   */
  async function suspectWhileHeld(holders: number): Promise<{ job: string; holding: SimVolunteer[]; held: Lease[] }> {
    const [newcomer, a, b, c, ...holding] = await Promise.all(
      Array.from({ length: 4 + holders }, (_, i) => enrol(i + 1)),
    );
    await vouch([a!, b!, c!]);
    const job = await knownAnswerJob(wrongSquare(squareInput(7)));
    const held: Lease[] = [];
    for (const holder of holding) {
      const { leases } = await holder.lease(1);
      expect(leases.map((l) => l.job)).toEqual([job]);
      held.push(leases[0]!);
    }
    for (const v of [newcomer!, a!, b!, c!]) await v.computeAndSubmit((await v.lease(1)).leases, square);
    expect((await grid.researcher.results(job))[0]).toMatchObject({ state: 'failed' });
    return { job, holding, held };
  }

  it('sets aside a wrong known answer that vouched keys of three networks contradict alike, and gives back the votes it took', async () => {
    const [newcomer, a, b, c, d] = await Promise.all([1, 2, 3, 4, 5].map(enrol));
    await vouch([a!, b!, c!]);
    const job = await knownAnswerJob(wrongSquare(squareInput(7)));
    // The first honest keys are caught by it: one answer against it could be a saboteur's.
    for (const v of [newcomer!, a!, b!]) {
      const probe = await v.lease(1);
      expect(probe.leases.map((l) => l.job)).toEqual([job]);
      await v.computeAndSubmit(probe.leases, square);
      expect(await v.stats()).toMatchObject({ flagged: true, invalid: 1 });
    }
    // A third vouched network agrees with them: the answer is suspect, and what it did to every key that
    // returned that output is taken back, the newcomer's too.
    await c!.computeAndSubmit((await c!.lease(1)).leases, square);
    for (const v of [newcomer!, a!, b!, c!]) expect(await v.stats()).toMatchObject({ flagged: false, invalid: 0 });
    // Its researcher sees it at a later place in the results (one following them meets it again), failed, with
    // the reason; it is leased to no one any more.
    const [line] = await grid.researcher.results(job);
    expect(line).toMatchObject({ workUnit: `wu_${SUSPECT_VOUCH * 3 + 1}`, cursor: 2, state: 'failed' });
    expect(String(line?.reason)).toContain('known answer suspect: keys of 4 networks');
    expect((await d!.lease(1)).leases).toEqual([]);
    // Its progress counts it as the results list it, a failed unit, and says whose it is: a known answer found
    // suspect (the researcher's expected output to mend), no volunteer's error; its diagnosis says so too.
    const progress = await grid.researcher.progress(job);
    const results = await grid.researcher.results(job, 0);
    expect(progress).toMatchObject({ knownAnswer: 0, suspectAnswers: 1, counts: { validated: 0, failed: 1 } });
    expect(results.filter((r) => r.state === 'failed')).toHaveLength(progress.counts.failed);
    expect(progress.errors).toEqual([]);
    expect(progress.replicas.errors).toBe(0);
    expect(progress.diagnosis.why).toContain('1 known answer found suspect');
    // The keys it caught vote again: two of them validate the operator's next unit.
    const next = await grid.researcher.createSquareJob({ name: 'next' });
    await grid.researcher.addSquares(next, 20, 1);
    for (const v of [newcomer!, a!]) await v.computeAndSubmit((await v.lease(1)).leases, square);
    expect((await grid.researcher.progress(next)).counts).toMatchObject({ validated: 1 });
  });

  it('charges no key for its lease of a known answer found suspect meanwhile, given back or run out', async () => {
    // Two keys hold it while four others find it out.
    const {
      job,
      holding: [giver, sleeper],
      held,
    } = await suspectWhileHeld(2);
    const standing = () =>
      grid.db.query('SELECT key, errors, error_allowance, error_allowance_at FROM volunteers WHERE key IN (?, ?)', [
        giver!.key,
        sleeper!.key,
      ]);
    const before = await standing();
    // One gives its lease back; the other's runs out.
    const given = await giver!.post(API.release, { leases: [held[0]!.lease] });
    expect(given.body).toEqual({ released: 1 });
    clock.advance(3_600_000);
    await grid.coordinator.sweep();
    const states = await grid.db.query<{ state: string }>('SELECT state FROM replicas WHERE volunteer IN (?, ?)', [
      giver!.key,
      sleeper!.key,
    ]);
    expect(states.map((r) => r.state).sort()).toEqual(['released', 'withdrawn']);
    // Neither is charged an error or an expiry for it: the grid withdrew the unit, not they.
    expect(await standing()).toEqual(before);
    for (const v of [giver!, sleeper!]) {
      await v.authenticate(); // its token ran out with the hour
      expect(await v.stats()).toMatchObject({ leased: 1, returned: 1, errors: 0 });
    }
    // Nor does its job list the lease that ran out among its volunteers' errors.
    const progress = await grid.researcher.progress(job);
    expect(progress.errors).toEqual([]);
    expect(progress.replicas.errors).toBe(0);
  });

  it('ends at its key’s next heartbeat a lease of a known answer found suspect meanwhile, and tells the page', async () => {
    const {
      job,
      holding: [holder],
      held: [held],
    } = await suspectWhileHeld(1);
    const heartbeat = async () => (await holder!.post(API.heartbeat, { leases: [held?.lease] })).body;
    // Not renewed, and why: with no deadline, the page drops it (packages/runtime lease-queue.ts renew).
    const withdrawn = { leases: [{ lease: held?.lease, deadline: null, state: 'withdrawn' }] };
    expect(await heartbeat()).toEqual(withdrawn);
    // Ended there and then, as no one's error; asked again, it says the same.
    expect(await holder!.stats()).toMatchObject({ leased: 1, returned: 1, errors: 0 });
    expect(await heartbeat()).toEqual(withdrawn);
    // Nothing is left of it to run out, and its job lists no volunteer's error.
    clock.advance(3_600_000);
    expect(await grid.coordinator.sweep()).toBe(0);
    expect((await grid.researcher.progress(job)).errors).toEqual([]);
  });

  it('does not hand a key’s fresh page back its lease of a known answer found suspect meanwhile', async () => {
    const {
      holding: [holder],
      held: [held],
    } = await suspectWhileHeld(1);
    // The holder's page went before its heartbeat; its next page takes back what the key holds: not this.
    const back = await holder!.post<LeaseResponse>(API.lease, {
      capabilities: GPU_CAPABILITIES,
      max: 4,
      resumeAfter: null,
    });
    expect(back.status).toBe(200);
    expect(back.body.leases.map((l) => l.lease)).not.toContain(held?.lease);
    expect(back.body.resumed ?? 0).toBe(0);
  });

  it('keeps a fresh known answer that a cabal of new keys of three networks reaches first', async () => {
    const job = await knownAnswerJob(square(squareInput(7)));
    for (const v of await Promise.all([1, 2, 3].map(enrol))) {
      await v.computeAndSubmit((await v.lease(1)).leases, wrongSquare);
      expect(await v.stats()).toMatchObject({ flagged: true });
    }
    expect((await grid.researcher.results(job))[0]).toMatchObject({ cursor: 1, state: 'validated' });
  });

  it('keeps a known answer that as many vouched networks passed as vouched ones contradict', async () => {
    const honest = await Promise.all([1, 2, 3].map(enrol));
    const cabal = await Promise.all([4, 5, 6].map(enrol));
    await vouch([...honest, ...cabal]);
    const job = await knownAnswerJob(square(squareInput(7)));
    for (const v of honest) await v.computeAndSubmit((await v.lease(1)).leases, square);
    for (const v of cabal) {
      await v.computeAndSubmit((await v.lease(1)).leases, wrongSquare);
      expect(await v.stats()).toMatchObject({ flagged: true });
    }
    expect((await grid.researcher.results(job))[0]).toMatchObject({ cursor: 1, state: 'validated' });
    // Still judging: a fourth honest network is leased it and passes.
    const fourth = await enrol(7);
    await fourth.computeAndSubmit((await fourth.lease(1)).leases, square);
    expect(await fourth.stats()).toMatchObject({ flagged: false, valid: 1 });
  });

  it('counts keys of one network once: a Sybil’s keys cannot set a known answer aside', async () => {
    const sybils = await Promise.all([1, 1, 1, 2, 2].map(enrol));
    await vouch(sybils);
    await knownAnswerJob(square(squareInput(7)));
    for (const v of sybils) {
      await v.computeAndSubmit((await v.lease(1)).leases, wrongSquare);
      expect(await v.stats()).toMatchObject({ flagged: true });
    }
  });
});
