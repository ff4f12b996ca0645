// A volunteer key's standing in the real coordinator (issue 17, phase 2), over HTTP with a manual clock, on
// every store backend: a key caught by a known answer stops voting; a trusted key's wrong answer has what it
// validated alone checked again, and a re-check that disagrees takes the unit back from the results; trust
// fades with time; errors cost the key's budget before the unit's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API, type Lease, type SubmittedResult } from '@bricolage/protocol';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ManualClock, seededRandom } from './clock';
import { DEFAULT_TRUST } from './rules/reputation';
import { type Coordinator, startCoordinator } from './server';
import { describeBackends, type TestDatabase } from './testing/backends';
import { Researcher, square } from './testing/fixtures';
import { SimVolunteer } from './testing/sim-volunteer';

const wrong = (input: Uint8Array) => {
  const out = square(input);
  out[0] = (out[0] ?? 0) ^ 1;
  return out;
};
const errorResult = (l: Lease): SubmittedResult => ({
  kind: 'error',
  lease: l.lease,
  code: 'runtime_error',
  message: 'x',
});
const unitNumber = (id: string) => Number(id.slice(3));
/** Adaptive replication with a low threshold, so that a test earns trust in a few units. */
const ADAPTIVE = { enabled: true, trustAfter: 5, spotCheckRate: 0.1 };

describeBackends('a volunteer’s standing', (backend) => {
  let dir: string;
  let db: TestDatabase;
  let clock: ManualClock;
  let coordinator: Coordinator;
  let researcher: Researcher;
  const volunteers = (n: number) => Promise.all(Array.from({ length: n }, () => SimVolunteer.create(coordinator.url)));

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-standing-'));
    db = await backend.open(dir);
    clock = new ManualClock();
    coordinator = await startCoordinator({
      dataDir: dir,
      databaseUrl: db.databaseUrl,
      port: 0,
      clock,
      random: seededRandom(17),
    });
    researcher = new Researcher(coordinator.url, (await coordinator.createProject('standing')).token);
  });

  afterEach(async () => {
    await coordinator.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const validatedIds = async (job: string) =>
    (await researcher.results(job)).filter((r) => r.state === 'validated').map((r) => String(r.workUnit));

  /**
   * `key` passes the job's three known answers (knownAnswerRate 1 hands them out first) and five units
   * validated with `partner`: eight validated results with three known answers, trusted under ADAPTIVE.
   */
  async function earnTrust(job: string, key: SimVolunteer, partner: SimVolunteer): Promise<void> {
    const mine = await key.lease(8);
    expect(mine.leases).toHaveLength(8);
    await key.computeAndSubmit(mine.leases, square);
    const theirs = await partner.lease(8);
    await partner.computeAndSubmit(theirs.leases, square);
    expect(await validatedIds(job)).toHaveLength(5);
  }

  it('stops counting the results of a key that failed a known answer, even where another key agrees with it', async () => {
    const job = await researcher.createSquareJob({ knownAnswerRate: 1 });
    await researcher.addSquares(job, 1, 1, 1); // wu_1, and the known answer wu_2
    const [liar, accomplice, honest, second] = await volunteers(4);
    // The liar gets the known answer first, then the unit, and answers both wrong.
    const l = await liar!.lease(2);
    expect(l.leases.map((x) => x.workUnit)).toEqual(['wu_2', 'wu_1']);
    await liar!.computeAndSubmit(l.leases, wrong);
    expect(await liar!.stats()).toMatchObject({ flagged: true });
    // Its accomplice passes the known answer and gives the liar's wrong answer on wu_1: alone, it is no quorum.
    const a = await accomplice!.lease(2);
    await accomplice!.computeAndSubmit(a.leases, (input, lease) =>
      lease.workUnit === 'wu_1' ? wrong(input) : square(input),
    );
    expect((await researcher.progress(job)).counts).toMatchObject({ validated: 0, in_progress: 1 });
    // Two honest keys outvote the accomplice; the researcher gets the right answer.
    for (const v of [honest!, second!]) {
      const leases = (await v.lease(2)).leases.filter((x) => x.workUnit === 'wu_1');
      await v.computeAndSubmit(leases, square);
      if ((await researcher.progress(job)).counts.validated === 1) break;
    }
    const [line] = await researcher.results(job);
    expect(line).toMatchObject({ workUnit: 'wu_1', state: 'validated' });
    expect(await accomplice!.stats()).toMatchObject({ invalid: 1 });
    expect(await liar!.stats()).toMatchObject({ valid: 0, credit: 0 });
  });

  it('re-checks what a trusted key validated alone once it gives a wrong answer, and takes back a unit the re-check disputes', async () => {
    const job = await researcher.createSquareJob({ adaptive: ADAPTIVE, knownAnswerRate: 1 });
    await researcher.addSquares(job, 1, 300, 3); // wu_1..300, known answers wu_301..303
    const [trusted, partner, auditor, other, third] = await volunteers(5);
    await earnTrust(job, trusted!, partner!);
    // Trusted now: many of its units validate on its result alone; the partner checks the rest.
    const batch = await trusted!.lease(100);
    await trusted!.computeAndSubmit(batch.leases, square);
    const alone = (await validatedIds(job)).filter((id) => unitNumber(id) > 5);
    expect(alone.length).toBeGreaterThan(20);
    const rest = await partner!.lease(100 - alone.length);
    await partner!.computeAndSubmit(rest.leases, square);
    expect(await validatedIds(job)).toHaveLength(105);

    // A wrong answer on another job (quorum 2 there; the first paused meanwhile, so that the leases go to the
    // other one), outvoted by two others: its trust is gone, its vote kept.
    const strict = await researcher.createSquareJob({ name: 'strict', adaptive: { ...ADAPTIVE, enabled: false } });
    await researcher.addSquares(strict, 1, 1);
    expect((await researcher.request('POST', API.pause(job))).ok).toBe(true);
    await trusted!.computeAndSubmit((await trusted!.lease(1)).leases, wrong);
    for (const v of [other!, third!]) await v.computeAndSubmit((await v.lease(1)).leases, square);
    expect(await trusted!.stats()).toMatchObject({ invalid: 1, flagged: false });
    expect((await researcher.request('POST', API.resume(job))).ok).toBe(true);

    // Every unit it validated alone wants one more replica now, ahead of the units never sent.
    const audit = (await auditor!.lease(alone.length + 3)).leases.filter((l) => unitNumber(l.workUnit) <= 300);
    expect(audit.map((l) => l.workUnit).sort()).toEqual([...alone].sort());
    // Each stays in the results meanwhile; one the auditor disputes is taken back, the others are confirmed.
    const disputed = alone[0] as string;
    await auditor!.computeAndSubmit(audit, (input, lease) =>
      lease.workUnit === disputed ? wrong(input) : square(input),
    );
    const now = await researcher.results(job);
    expect(now.map((r) => r.workUnit)).not.toContain(disputed);
    expect(now).toHaveLength(104);
    expect((await researcher.progress(job)).counts.in_progress).toBeGreaterThanOrEqual(1);
    // Two more volunteers settle it; it comes back at a later place, with the right answer.
    const cursor = Math.max(...now.map((r) => Number(r.cursor)));
    for (const v of [other!, third!]) {
      const leases = (await v.lease(400)).leases.filter((l) => l.workUnit === disputed);
      expect(leases).toHaveLength(1);
      await v.computeAndSubmit(leases, square);
      if ((await validatedIds(job)).includes(disputed)) break;
    }
    const later = await researcher.results(job, cursor);
    expect(later).toMatchObject([{ workUnit: disputed, state: 'validated' }]);
    expect(await auditor!.stats()).toMatchObject({ invalid: 1 });
  });

  it('lets trust fade: a trusted key idle for a half-life has its units replicated again', async () => {
    const job = await researcher.createSquareJob({ adaptive: ADAPTIVE, knownAnswerRate: 1 });
    await researcher.addSquares(job, 1, 400, 3);
    const [trusted, partner] = await volunteers(2);
    await earnTrust(job, trusted!, partner!);
    const first = await trusted!.lease(20);
    await trusted!.computeAndSubmit(first.leases, square);
    const alone = (await validatedIds(job)).length - 5;
    expect(alone).toBeGreaterThan(0);
    // Its record, 28 validated results once the partner has checked the rest, halves every half-life: three
    // later (3.5) it is below the threshold of 5, and not trusted any more.
    const rest = await partner!.lease(20 - alone);
    await partner!.computeAndSubmit(rest.leases, square);
    clock.advance(DEFAULT_TRUST.halfLifeMs * 3);
    await trusted!.authenticate();
    const before = (await validatedIds(job)).length;
    const next = await trusted!.lease(50);
    expect(next.leases).toHaveLength(50);
    await trusted!.computeAndSubmit(next.leases, square);
    expect(await validatedIds(job)).toHaveLength(before);
  });

  it('charges errors to each key’s budget first, so that keys answering every lease with an error fail no unit', async () => {
    const job = await researcher.createSquareJob({
      redundancy: { minQuorum: 2, maxTotalResults: 12, maxErrorResults: 3, homogeneous: false },
    });
    await researcher.addSquares(job, 1, 10);
    const griefers = await volunteers(5);
    for (const [g, griefer] of griefers.entries()) {
      const { leases } = await griefer.lease(5);
      expect(leases.map((l) => l.workUnit)).toEqual(['wu_1', 'wu_2', 'wu_3', 'wu_4', 'wu_5']);
      // Each starts its errors at a different unit: its first error is the one its allowance lets count.
      const order = [...leases.slice(g % leases.length), ...leases.slice(0, g % leases.length)];
      expect((await griefer.submit(order.map(errorResult))).status).toBe(200);
      // Past its allowance it gets no more work (wu_6…10 are there).
      expect((await griefer.lease(5)).leases).toHaveLength(0);
    }
    expect((await researcher.progress(job)).counts.failed).toBe(0);
    // An hour later a griefer may lease again (however many errors it made, it is out an hour at most), and
    // its errors still cost no unit anything: its allowance is spent.
    clock.advance(3_600_000);
    await griefers[0]!.authenticate();
    const again = (await griefers[0]!.lease(5)).leases;
    expect(again.map((l) => l.workUnit)).toEqual(['wu_6', 'wu_7', 'wu_8', 'wu_9', 'wu_10']);
    expect((await griefers[0]!.submit(again.map(errorResult))).status).toBe(200);
    expect((await researcher.progress(job)).counts.failed).toBe(0);
    const [a, b] = await volunteers(2);
    for (const v of [a!, b!]) await v.computeAndSubmit((await v.lease(10)).leases, square);
    expect((await researcher.progress(job)).counts).toMatchObject({ validated: 10, failed: 0 });
  });

  it('takes a refusal of a job whose signature does not hold as no error of the key and no attempt at the unit', async () => {
    const job = await researcher.createSquareJob();
    await researcher.addSquares(job, 1, 3);
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
    expect((await researcher.progress(job)).counts).toMatchObject({ validated: 0, failed: 0 });
    // The refusers may still work on other jobs; two others compute this one.
    const other = await researcher.createSquareJob({ name: 'other' });
    await researcher.addSquares(other, 10, 1);
    expect((await refusers[0]!.lease(1)).leases).toHaveLength(1);
    const [a, b] = await volunteers(2);
    for (const v of [a!, b!]) {
      const leases = (await v.lease(4)).leases.filter((l) => unitNumber(l.workUnit) <= 3);
      await v.computeAndSubmit(leases, square);
    }
    expect((await researcher.progress(job)).counts).toMatchObject({ validated: 3, failed: 0 });
  });
});
