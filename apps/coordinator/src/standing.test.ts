// A volunteer key's standing in the real coordinator (issue 17, phase 2), over HTTP with a manual clock, on
// every store backend: a key caught by a known answer stops voting; a trusted key's wrong answer has what it
// validated alone checked again, and a re-check that disagrees takes the unit back from the results; trust
// fades with time; errors cost the key's budget before the unit's, and expired leases never shut it out.
import { API, type Lease, type SubmittedResult, toBase64 } from '@bricolage/protocol';
import { expect, it } from 'vitest';
import { ManualClock, seededRandom } from './clock';
import { NOT_VOTING_RETRY_S } from './http/volunteer';
import { DEFAULT_TRUST } from './rules/reputation';
import { describeBackends } from './testing/backends';
import { Researcher, square, squareInput, wrongSquare } from './testing/fixtures';
import { useGrid } from './testing/grid-fixture';
import { errorResult, SimVolunteer } from './testing/sim-volunteer';

const unitNumber = (id: string) => Number(id.slice(3));
/** Adaptive replication with a low threshold, so that a test earns trust in a few units. */
const ADAPTIVE = { enabled: true, trustAfter: 5, spotCheckRate: 0.1 };

describeBackends('a volunteer’s standing', (backend) => {
  let clock: ManualClock;
  const grid = useGrid(backend, {
    name: 'standing',
    start: () => {
      clock = new ManualClock();
      return { clock, random: seededRandom(17), project: 'standing' };
    },
  });
  const volunteers = (n: number) =>
    Promise.all(Array.from({ length: n }, () => SimVolunteer.create(grid.coordinator.url)));

  const validatedIds = async (job: string) =>
    (await grid.researcher.results(job)).filter((r) => r.state === 'validated').map((r) => String(r.workUnit));

  /**
   * On a job of its own, `key` passes three known answers (knownAnswerRate 1 hands them out first) and five
   * units validated with `partner`: eight validated results with three known answers, trusted under ADAPTIVE.
   * The job completes, so that the test's next leases go to the jobs it makes next (units are drawn at random).
   */
  async function earnTrust(key: SimVolunteer, partner: SimVolunteer): Promise<void> {
    const job = await grid.researcher.createSquareJob({ name: 'earn', adaptive: ADAPTIVE, knownAnswerRate: 1 });
    await grid.researcher.addSquares(job, 1, 5, 3);
    const mine = await key.lease(8);
    expect(mine.leases).toHaveLength(8);
    await key.computeAndSubmit(mine.leases, square);
    const theirs = await partner.lease(8);
    await partner.computeAndSubmit(theirs.leases, square);
    // The five units, and the three known answers: finished from the start with their expected outputs.
    expect(await validatedIds(job)).toHaveLength(8);
  }

  it('stops counting the results of a key that failed a known answer, even where another key agrees with it', async () => {
    const job = await grid.researcher.createSquareJob({ knownAnswerRate: 1 });
    await grid.researcher.addSquares(job, 1, 1, 1); // wu_1, and the known answer wu_2
    const [liar, accomplice, honest, second] = await volunteers(4);
    // The liar gets the known answer first, then the unit, and answers both wrong.
    const l = await liar!.lease(2);
    expect(l.leases.map((x) => x.workUnit)).toEqual(['wu_2', 'wu_1']);
    await liar!.computeAndSubmit(l.leases, wrongSquare);
    expect(await liar!.stats()).toMatchObject({ flagged: true });
    // It gets no more work: its results would count for nothing.
    const next = await grid.researcher.createSquareJob({ name: 'next' });
    await grid.researcher.addSquares(next, 10, 1);
    expect(await liar!.lease(1)).toMatchObject({
      leases: [],
      retryAfter: NOT_VOTING_RETRY_S,
      heldBack: { why: 'not_voting' },
    });
    expect((await grid.researcher.request('POST', API.pause(next))).ok).toBe(true);
    // Its accomplice passes the known answer and gives the liar's wrong answer on wu_1: alone, it is no quorum.
    const a = await accomplice!.lease(2);
    await accomplice!.computeAndSubmit(a.leases, (input, lease) =>
      lease.workUnit === 'wu_1' ? wrongSquare(input) : square(input),
    );
    expect((await grid.researcher.progress(job)).counts).toMatchObject({ validated: 0, in_progress: 1 });
    // Two honest keys outvote the accomplice; the researcher gets the right answer.
    for (const v of [honest!, second!]) {
      const leases = (await v.lease(2)).leases.filter((x) => x.workUnit === 'wu_1');
      await v.computeAndSubmit(leases, square);
      if ((await grid.researcher.progress(job)).counts.validated === 1) break;
    }
    const line = (await grid.researcher.results(job)).find((r) => r.workUnit === 'wu_1');
    expect(line).toMatchObject({ workUnit: 'wu_1', state: 'validated' });
    expect(await accomplice!.stats()).toMatchObject({ invalid: 1 });
    expect(await liar!.stats()).toMatchObject({ valid: 0, credit: 0 });
  });

  it('refuses a result that fails a known answer of a volunteer-paid project, but keeps the key’s vote', async () => {
    // A volunteer earns credit on the operator's job, and opens a project its credit pays for.
    const [funder, partner, honest, other] = await volunteers(4);
    const earn = await grid.researcher.createSquareJob({ name: 'earn' });
    await grid.researcher.addSquares(earn, 1, 3);
    for (const v of [funder!, partner!]) await v.computeAndSubmit((await v.lease(3)).leases, square);
    const opened = await funder!.post<{ token: string }>(API.myFundedProject, { name: 'mine' });
    const mine = new Researcher(grid.coordinator.url, opened.body.token);
    // Its job's one known answer is wrong (a mistake, or meant to silence whoever computes it).
    const job = await mine.createSquareJob({ knownAnswerRate: 1 });
    const line = { input: toBase64(squareInput(7)), expected: toBase64(wrongSquare(squareInput(7))) };
    expect(
      (await mine.request('POST', API.workUnits(job), `${JSON.stringify(line)}\n`, 'application/x-ndjson')).ok,
    ).toBe(true);
    const probe = await honest!.lease(1);
    expect(probe.leases).toHaveLength(1);
    await honest!.computeAndSubmit(probe.leases, square);
    expect(await honest!.stats()).toMatchObject({ flagged: false, valid: 0, credit: 0 });
    // It still votes: with another key it validates the operator's next unit.
    const next = await grid.researcher.createSquareJob({ name: 'next' });
    await grid.researcher.addSquares(next, 20, 1);
    expect((await mine.request('POST', API.pause(job))).ok).toBe(true);
    for (const v of [honest!, other!]) await v.computeAndSubmit((await v.lease(1)).leases, square);
    expect((await grid.researcher.progress(next)).counts).toMatchObject({ validated: 1 });
    expect(await honest!.stats()).toMatchObject({ valid: 1 });
  });

  it('re-checks what a trusted key validated alone once it gives a wrong answer, and takes back a unit the re-check disputes', async () => {
    const [trusted, partner, auditor, other, third] = await volunteers(5);
    await earnTrust(trusted!, partner!);
    // Trusted now: many of its units validate on its result alone; the partner checks the rest.
    const job = await grid.researcher.createSquareJob({ adaptive: ADAPTIVE });
    await grid.researcher.addSquares(job, 10, 100);
    const batch = await trusted!.lease(100);
    expect(batch.leases).toHaveLength(100);
    await trusted!.computeAndSubmit(batch.leases, square);
    const alone = await validatedIds(job);
    expect(alone.length).toBeGreaterThan(20);
    // It keeps one of them in hand: the job stays active (re-checks look at active and paused jobs).
    const rest = await partner!.lease(100);
    expect(rest.leases).toHaveLength(100 - alone.length);
    await partner!.computeAndSubmit(rest.leases.slice(1), square);
    expect(await validatedIds(job)).toHaveLength(99);

    // A wrong answer on another job (quorum 2 there; the first paused meanwhile, so that the leases go to the
    // other one), outvoted by two others: its trust is gone, its vote kept.
    const strict = await grid.researcher.createSquareJob({ name: 'strict', adaptive: { ...ADAPTIVE, enabled: false } });
    await grid.researcher.addSquares(strict, 1, 1);
    expect((await grid.researcher.request('POST', API.pause(job))).ok).toBe(true);
    await trusted!.computeAndSubmit((await trusted!.lease(1)).leases, wrongSquare);
    for (const v of [other!, third!]) await v.computeAndSubmit((await v.lease(1)).leases, square);
    expect(await trusted!.stats()).toMatchObject({ invalid: 1, flagged: false });
    expect((await grid.researcher.request('POST', API.resume(job))).ok).toBe(true);

    // Every unit it validated alone wants one more replica now, ahead of the units never sent.
    const audit = (await auditor!.lease(alone.length + 3)).leases;
    expect(audit.map((l) => l.workUnit).sort()).toEqual([...alone].sort());
    // Each stays in the results meanwhile; one the auditor disputes is taken back, the others are confirmed.
    const disputed = alone[0] as string;
    await auditor!.computeAndSubmit(audit, (input, lease) =>
      lease.workUnit === disputed ? wrongSquare(input) : square(input),
    );
    const now = await grid.researcher.results(job);
    expect(now.map((r) => r.workUnit)).not.toContain(disputed);
    expect(now).toHaveLength(98);
    expect((await grid.researcher.progress(job)).counts.in_progress).toBeGreaterThanOrEqual(1);
    // Two more volunteers settle it; it comes back at a later place, with the right answer.
    const cursor = Math.max(...now.map((r) => Number(r.cursor)));
    for (const v of [other!, third!]) {
      const leases = (await v.lease(400)).leases.filter((l) => l.workUnit === disputed);
      expect(leases).toHaveLength(1);
      await v.computeAndSubmit(leases, square);
      if ((await validatedIds(job)).includes(disputed)) break;
    }
    const later = await grid.researcher.results(job, cursor);
    expect(later).toMatchObject([{ workUnit: disputed, state: 'validated' }]);
    expect(await auditor!.stats()).toMatchObject({ invalid: 1 });
  });

  it('checks again what a key’s vote helped validate once it stops voting, and completes the job only when every re-check is in', async () => {
    const job = await grid.researcher.createSquareJob({ adaptive: { ...ADAPTIVE, enabled: false } });
    await grid.researcher.addSquares(job, 1, 4);
    const [colluder, accomplice, honest, second] = await volunteers(4);
    const jobState = async () =>
      ((await (await grid.researcher.request('GET', API.job(job))).json()) as { job: { state: string } }).job.state;
    // Both hold all four units: on one they give the same wrong answer, on two the right one (a quorum of two
    // each, three validated); the fourth the colluder answers wrong and the accomplice keeps in hand.
    const mine = (await colluder!.lease(4)).leases;
    const theirs = (await accomplice!.lease(4)).leases;
    const [kept, lied] = [mine[0]!.workUnit, mine[1]!.workUnit];
    const cabal = (input: Uint8Array, lease: Lease) =>
      lease.workUnit === lied || lease.workUnit === kept ? wrongSquare(input) : square(input);
    await colluder!.computeAndSubmit(mine, cabal);
    await accomplice!.computeAndSubmit(
      theirs.filter((l) => l.workUnit !== kept),
      cabal,
    );
    const decided = await validatedIds(job);
    expect(decided.sort()).toEqual(
      mine
        .slice(1)
        .map((l) => l.workUnit)
        .sort(),
    );

    // The colluder fails a known answer on another job and stops voting.
    const probes = await grid.researcher.createSquareJob({ name: 'probes', knownAnswerRate: 1 });
    await grid.researcher.addSquares(probes, 100, 0, 1);
    await colluder!.computeAndSubmit((await colluder!.lease(1)).leases, wrongSquare);
    expect(await colluder!.stats()).toMatchObject({ flagged: true });
    expect((await grid.researcher.request('POST', API.pause(probes))).ok).toBe(true);
    // The accomplice answers the kept unit right: with the colluder's vote gone, one vote of two.
    await accomplice!.computeAndSubmit(
      theirs.filter((l) => l.workUnit === kept),
      square,
    );

    // The three units the colluder's vote validated want one more agreeing result each, and the kept unit one.
    const audit = (await honest!.lease(8)).leases;
    expect(audit.map((l) => l.workUnit).sort()).toEqual([...decided, kept].sort());
    // The honest key confirms the two right answers and settles the kept unit: every unit is validated, but the
    // job is not complete while the lied-about unit's re-check is out.
    await honest!.computeAndSubmit(
      audit.filter((l) => l.workUnit !== lied),
      square,
    );
    expect(await validatedIds(job)).toHaveLength(4);
    expect(await jobState()).toBe('active');
    // Its honest answer disputes the lie: the unit leaves the results, and a second honest key settles it.
    await honest!.computeAndSubmit(
      audit.filter((l) => l.workUnit === lied),
      square,
    );
    expect(await validatedIds(job)).not.toContain(lied);
    await second!.computeAndSubmit((await second!.lease(4)).leases, square);
    expect(await jobState()).toBe('completed');
    const lines = await grid.researcher.results(job);
    expect(lines.filter((l) => l.state === 'validated')).toHaveLength(4);
    for (const line of lines.filter((l) => l.state === 'validated')) {
      const n = Number(String(line.tag).slice(2));
      expect(line.output).toBe(toBase64(square(squareInput(n))));
    }
  });

  it('re-checks what a trusted key validated alone without its vote once it stops voting: two others must agree', async () => {
    const [trusted, partner, auditor, second] = await volunteers(4);
    await earnTrust(trusted!, partner!);
    const job = await grid.researcher.createSquareJob({ adaptive: ADAPTIVE });
    await grid.researcher.addSquares(job, 10, 100);
    const batch = await trusted!.lease(100);
    await trusted!.computeAndSubmit(batch.leases, square);
    const alone = await validatedIds(job);
    expect(alone.length).toBeGreaterThan(20);
    // It fails a known answer on another job (the first paused meanwhile): it stops voting.
    expect((await grid.researcher.request('POST', API.pause(job))).ok).toBe(true);
    const probes = await grid.researcher.createSquareJob({ name: 'probes', knownAnswerRate: 1 });
    await grid.researcher.addSquares(probes, 100, 0, 1);
    await trusted!.computeAndSubmit((await trusted!.lease(1)).leases, wrongSquare);
    expect(await trusted!.stats()).toMatchObject({ flagged: true });
    expect((await grid.researcher.request('POST', API.pause(probes))).ok).toBe(true);
    expect((await grid.researcher.request('POST', API.resume(job))).ok).toBe(true);
    // Each unit it validated alone wants two results from others now; one agreeing is not enough.
    const audit = (await auditor!.lease(200)).leases.filter((l) => alone.includes(l.workUnit));
    expect(audit.map((l) => l.workUnit).sort()).toEqual([...alone].sort());
    await auditor!.computeAndSubmit(audit, square);
    const again = (await second!.lease(200)).leases.filter((l) => alone.includes(l.workUnit));
    expect(again.map((l) => l.workUnit).sort()).toEqual([...alone].sort());
  });

  it('lets trust fade: a trusted key idle for a half-life has its units replicated again', async () => {
    const [trusted, partner] = await volunteers(2);
    await earnTrust(trusted!, partner!);
    const job = await grid.researcher.createSquareJob({ adaptive: ADAPTIVE });
    await grid.researcher.addSquares(job, 10, 20);
    const first = await trusted!.lease(20);
    expect(first.leases).toHaveLength(20);
    await trusted!.computeAndSubmit(first.leases, square);
    const alone = (await validatedIds(job)).length;
    expect(alone).toBeGreaterThan(0);
    // Its record, 28 validated results once the partner has checked the rest, halves every half-life: three
    // later (3.5) it is below the threshold of 5, and not trusted any more.
    const rest = await partner!.lease(20);
    expect(rest.leases).toHaveLength(20 - alone);
    await partner!.computeAndSubmit(rest.leases, square);
    clock.advance(DEFAULT_TRUST.halfLifeMs * 3);
    await trusted!.authenticate();
    const later = await grid.researcher.createSquareJob({ name: 'later', adaptive: ADAPTIVE });
    await grid.researcher.addSquares(later, 100, 50);
    const next = await trusted!.lease(50);
    expect(next.leases).toHaveLength(50);
    await trusted!.computeAndSubmit(next.leases, square);
    expect(await validatedIds(later)).toHaveLength(0);
  });

  it('charges errors to each key’s budget first, so that keys answering every lease with an error fail no unit', async () => {
    const job = await grid.researcher.createSquareJob({
      redundancy: { minQuorum: 2, maxTotalResults: 12, maxErrorResults: 3, homogeneous: false },
    });
    await grid.researcher.addSquares(job, 1, 10);
    const griefers = await volunteers(5);
    // Units are drawn at random; each griefer starts its errors at a unit no griefer's first error hit yet, so
    // that no unit fails on errors within the keys' allowances alone (one each: five on five units).
    const firstHit = new Set<string>();
    for (const griefer of griefers) {
      const { leases } = await griefer.lease(5);
      expect(leases).toHaveLength(5);
      const start = leases.findIndex((l) => !firstHit.has(l.workUnit));
      firstHit.add(leases[start]!.workUnit);
      const order = [...leases.slice(start), ...leases.slice(0, start)];
      expect((await griefer.submit(order.map(errorResult))).status).toBe(200);
      // Past its allowance it gets no more work (units are there), and is told why and to come back in an hour.
      expect(await griefer.lease(5)).toMatchObject({
        leases: [],
        retryAfter: 3600,
        heldBack: { why: 'errors', until: clock.now() + 3_600_000 },
      });
    }
    expect((await grid.researcher.progress(job)).counts.failed).toBe(0);
    // An hour later a griefer may lease again (however many errors it made, it is out an hour at most), and
    // its errors still cost no unit anything: its allowance is spent.
    clock.advance(3_600_000);
    await griefers[0]!.authenticate();
    // It gets the five units it never held.
    const again = (await griefers[0]!.lease(10)).leases;
    expect(again).toHaveLength(5);
    expect((await griefers[0]!.submit(again.map(errorResult))).status).toBe(200);
    expect((await grid.researcher.progress(job)).counts.failed).toBe(0);
    const [a, b] = await volunteers(2);
    for (const v of [a!, b!]) await v.computeAndSubmit((await v.lease(10)).leases, square);
    expect((await grid.researcher.progress(job)).counts).toMatchObject({ validated: 10, failed: 0 });
  });

  it('lets a key whose leases ran out (a tab closed) lease again at once; only its first expiry costs a unit', async () => {
    const job = await grid.researcher.createSquareJob({
      leaseSeconds: 60,
      redundancy: { minQuorum: 2, maxTotalResults: 12, maxErrorResults: 0, homogeneous: false },
    });
    await grid.researcher.addSquares(job, 1, 16);
    const [closer] = await volunteers(1);
    const { leases } = await closer!.lease(16);
    expect(leases).toHaveLength(16);
    clock.advance(3_600_000);
    expect(await grid.coordinator.sweep()).toBe(16);
    // Within its allowance one expiry counted against its unit (maxErrorResults 0 fails it); the others cost
    // their units nothing, and the key is not shut out.
    expect((await grid.researcher.progress(job)).counts.failed).toBe(1);
    // It never holds a unit twice: new units for it.
    await grid.researcher.addSquares(job, 100, 4);
    await closer!.authenticate();
    expect((await closer!.lease(4)).leases).toHaveLength(4);
  });

  it('takes a refusal of a job whose signature does not hold as no error of the key and no attempt at the unit', async () => {
    const job = await grid.researcher.createSquareJob();
    await grid.researcher.addSquares(job, 1, 3);
    const refuse = (l: Lease): SubmittedResult => ({
      kind: 'error',
      lease: l.lease,
      code: 'untrusted_job',
      message: 'not what its project signed',
    });
    const refusers = await volunteers(4);
    for (const v of refusers) {
      const { leases } = await v.lease(3);
      expect(leases).toHaveLength(3);
      expect((await v.submit(leases.map(refuse))).status).toBe(200);
    }
    expect((await grid.researcher.progress(job)).counts).toMatchObject({ validated: 0, failed: 0 });
    // The refusers may still work on other jobs; two others compute this one.
    const other = await grid.researcher.createSquareJob({ name: 'other' });
    await grid.researcher.addSquares(other, 10, 1);
    expect((await refusers[0]!.lease(1)).leases).toHaveLength(1);
    const [a, b] = await volunteers(2);
    for (const v of [a!, b!]) {
      const leases = (await v.lease(4)).leases.filter((l) => unitNumber(l.workUnit) <= 3);
      await v.computeAndSubmit(leases, square);
    }
    expect((await grid.researcher.progress(job)).counts).toMatchObject({ validated: 3, failed: 0 });
  });
});
