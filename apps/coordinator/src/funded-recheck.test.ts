// A volunteer-paid job whose units are checked again (steps/recheck.ts) pays for the re-checks as for any replica
// its units take, and never twice for one replica: a re-check's result is debited as it comes back, and a unit a
// re-check disputes, validated anew, is debited only for the replicas not paid for already. Without this, the
// re-checker's credit was minted from nothing and a disputed unit's first replicas were debited twice.
// Over real HTTP with a manual clock, on every store backend; the books (testing/books.ts) checked at the end.
import { API, type CreatedProject, type ReceiptBody, walletOf, workUnitNumber } from '@bricolage/protocol';
import { expect, it } from 'vitest';
import { ManualClock, seededRandom } from './clock';
import { describeBackends } from './testing/backends';
import { checkBooks } from './testing/books';
import { Researcher, square, wrongSquare } from './testing/fixtures';
import { useGrid } from './testing/grid-fixture';
import { SimVolunteer } from './testing/sim-volunteer';

/** Adaptive replication with a low threshold, so that a test earns trust in a few units. */
const ADAPTIVE = { enabled: true, trustAfter: 5, spotCheckRate: 0.1 };

describeBackends('a funded job under re-check', (backend) => {
  const grid = useGrid(backend, {
    name: 'funded-recheck',
    start: () => ({ clock: new ManualClock(), random: seededRandom(23), project: 'operator' }),
  });
  const volunteers = (n: number) =>
    Promise.all(Array.from({ length: n }, () => SimVolunteer.create(grid.coordinator.url)));
  const validatedIds = async (r: Researcher, job: string) =>
    (await r.results(job)).filter((x) => x.state === 'validated').map((x) => String(x.workUnit));

  /**
   * `a` and `b` compute `n` units of a new operator job together (quorum 2, 10 a unit each), after `knownAnswers`
   * known answers (handed out first): five units and three known answers make a key trusted under ADAPTIVE.
   */
  async function earn(a: SimVolunteer, b: SimVolunteer, n: number, knownAnswers = 0): Promise<void> {
    const job = await grid.researcher.createSquareJob({
      name: `earn ${n}`,
      adaptive: ADAPTIVE,
      knownAnswerRate: knownAnswers > 0 ? 1 : 0,
    });
    await grid.researcher.addSquares(job, 1, n, knownAnswers);
    for (const v of [a, b]) await v.computeAndSubmit((await v.lease(n + knownAnswers)).leases, square);
    expect((await grid.researcher.progress(job)).counts.validated).toBe(n);
  }

  it('debits its funder for each re-check as it comes back, and a disputed unit anew only for its new replicas', async () => {
    const [funder, trusted, partner, auditor, other, third] = await volunteers(6);
    // The trusted key earns trust under ADAPTIVE; the funder, 300 credit.
    await earn(trusted!, partner!, 5, 3);
    await earn(funder!, partner!, 30);
    const opened = await funder!.post<CreatedProject>(API.myFundedProject, { name: 'mine' });
    const mine = new Researcher(grid.coordinator.url, opened.body.token);
    const job = await mine.createSquareJob({ name: 'paid, re-checked', adaptive: ADAPTIVE });
    await mine.addSquares(job, 100, 10);

    // Most units validate on the trusted key's result alone, one replica debited each; the partner checks the rest
    // but keeps one in hand, so that the job stays active.
    const batch = await trusted!.lease(10);
    expect(batch.leases).toHaveLength(10);
    await trusted!.computeAndSubmit(batch.leases, square);
    const alone = await validatedIds(mine, job);
    expect(alone.length).toBeGreaterThanOrEqual(5);
    const rest = await partner!.lease(10);
    expect(rest.leases).toHaveLength(10 - alone.length);
    await partner!.computeAndSubmit(rest.leases.slice(1), square);

    // A wrong answer on the operator's job, outvoted: its trust is gone, what it validated alone is checked again.
    expect((await mine.request('POST', API.pause(job))).ok).toBe(true);
    const strict = await grid.researcher.createSquareJob({ name: 'strict' });
    await grid.researcher.addSquares(strict, 1, 1);
    await trusted!.computeAndSubmit((await trusted!.lease(1)).leases, wrongSquare);
    for (const v of [other!, third!]) await v.computeAndSubmit((await v.lease(1)).leases, square);
    expect(await trusted!.stats()).toMatchObject({ invalid: 1 });
    expect((await mine.request('POST', API.resume(job))).ok).toBe(true);
    const spentBefore = (await funder!.stats()).spent;

    // The auditor re-checks each; it disputes one, which is taken back and settled by two more keys.
    const audit = (await auditor!.lease(alone.length + 3)).leases.filter((l) => alone.includes(l.workUnit));
    expect(audit.map((l) => l.workUnit).sort()).toEqual([...alone].sort());
    const disputed = alone[0] as string;
    await auditor!.computeAndSubmit(audit, (input, lease) =>
      lease.workUnit === disputed ? wrongSquare(input) : square(input),
    );
    // Each confirmed re-check is paid for as it came back: the auditor's credit is the funder's debit.
    expect((await funder!.stats()).spent).toBe(spentBefore + 10 * (alone.length - 1));
    for (const v of [other!, third!]) {
      const leases = (await v.lease(20)).leases.filter((l) => l.workUnit === disputed);
      await v.computeAndSubmit(leases, square);
      if ((await validatedIds(mine, job)).includes(disputed)) break;
    }
    expect(await validatedIds(mine, job)).toContain(disputed);

    // Every replica of a validated unit that came back, once: trusted's, the auditor's, the settlers'.
    const [paid] = await grid.db.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM replicas r JOIN work_units w ON w.id = r.wu
       WHERE r.job = ? AND w.state = 'validated' AND r.state NOT IN ('leased', 'released')`,
      [job],
    );
    const stats = await funder!.stats();
    expect(stats.spent).toBe(10 * Number(paid?.n));
    // The disputed unit's debits, read from the funder's log entries: one per replica it took, none twice.
    const bodies = (await funder!.receipts()).receipts.map((r) => r.receipt.body as ReceiptBody);
    const debitsOf = (unit: string) =>
      bodies.reduce((n, b) => n + (b.type === 'debit' && b.workUnit === unit ? b.replicas : 0), 0);
    const [took] = await grid.db.query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM replicas WHERE wu = ? AND state NOT IN ('leased', 'released')",
      [workUnitNumber(disputed as never)],
    );
    expect(debitsOf(disputed)).toBe(Number(took?.n));
    expect(Number(took?.n)).toBeGreaterThanOrEqual(3);
    expect(walletOf(bodies, funder!.key).spent).toBe(stats.spent);
    // What the job's volunteers were credited was paid for by its funder: no credit made from nothing.
    const credited = await Promise.all(
      [trusted!, partner!, auditor!, other!, third!].map(async (v) =>
        (await v.receipts()).receipts
          .map((r) => r.receipt.body as ReceiptBody)
          .filter((b) => b.type === 'credit' && b.job === job)
          .reduce((n, b) => n + (b.type === 'credit' ? b.credit : 0), 0),
      ),
    );
    expect(credited.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(stats.spent);
    expect(await checkBooks(grid.db.query, () => true)).toEqual([]);
  });
});
