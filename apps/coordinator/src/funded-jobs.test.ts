// Credits that buy compute (issue 19), over real HTTP with a manual clock: a volunteer earns credit on an
// operator's job, opens its own project with its key, and its job runs only as far as its balance pays, units
// it started first; each validated unit debits it in the log, and the balance recomputed from its own entries, verified offline,
// is the coordinator's.
import {
  API,
  type CreatedProject,
  type JobProgress,
  type ReceiptBody,
  verifyReceipt,
  walletOf,
} from '@bricolage/protocol';
import { expect, it } from 'vitest';
import { ManualClock, seededRandom } from './clock';
import { describeBackends } from './testing/backends';
import { Researcher, square } from './testing/fixtures';
import { useGrid } from './testing/grid-fixture';
import { SimVolunteer } from './testing/sim-volunteer';

describeBackends('jobs paid from a volunteer’s credit', (backend) => {
  const clock = new ManualClock();
  // The operator's own project, whose jobs volunteers earn their credit on.
  const grid = useGrid(backend, {
    name: 'funded',
    start: () => ({ clock, random: seededRandom(19), project: 'demo' }),
  });

  /** `a` and `b` compute `n` units of a new operator job together (quorum 2): each earns 10 a unit. */
  async function earn(a: SimVolunteer, b: SimVolunteer, n: number): Promise<void> {
    const job = await grid.researcher.createSquareJob({ name: `earn ${n}` });
    await grid.researcher.addSquares(job, 1, n);
    for (const v of [a, b]) await v.computeAndSubmit((await v.lease(n)).leases, square);
    expect((await grid.researcher.progress(job)).counts.validated).toBe(n);
  }

  async function openProject(funder: SimVolunteer, name = 'mine'): Promise<Researcher> {
    const opened = await funder.post<CreatedProject>(API.myFundedProject, { name });
    expect(opened.status).toBe(200);
    return new Researcher(grid.coordinator.url, opened.body.token);
  }

  const progressOf = async (r: Researcher, job: string) =>
    ((await (await r.request('GET', API.job(job))).json()) as { progress: JobProgress }).progress;

  it('runs a funded job only as far as the balance pays, debits each unit in the log, and pauses it', async () => {
    const [funder, x, y] = await Promise.all([1, 2, 3].map(() => SimVolunteer.create(grid.coordinator.url)));
    await earn(funder!, x!, 6);
    expect(await funder!.stats()).toMatchObject({ credit: 60, spent: 0, balance: 60, fundedProject: null });

    const mine = await openProject(funder!);
    const job = await mine.createSquareJob({ name: 'paid by my credit' });
    await mine.addSquares(job, 100, 5);
    // Quorum 2 at 10 a replica: 60 pays for 6 replicas, whoever takes them: three units seen through, not
    // five started and one finished.
    const first = await x!.lease(10);
    expect(first.leases).toHaveLength(3);
    const second = await y!.lease(10);
    expect(second.leases).toHaveLength(3);
    expect((await y!.lease(10)).leases).toHaveLength(0);
    await x!.computeAndSubmit(first.leases, square);
    await y!.computeAndSubmit(second.leases, square);
    expect((await mine.progress(job)).counts).toMatchObject({ validated: 3, in_progress: 0 });
    expect(await funder!.stats()).toMatchObject({ spent: 60, balance: 0 });

    // Nothing is left to lease on, and the sweep pauses the job with that reason.
    await grid.coordinator.sweep();
    const paused = await progressOf(mine, job);
    expect(paused.state).toBe('paused');
    expect(paused.diagnosis).toMatchObject({ code: 'paused', stalled: true });
    expect(paused.diagnosis.why).toMatch(/funder's balance is spent.*earn credit, then resume/);

    // Earning more and resuming finishes it: 5 units × 2 replicas × 10.
    await earn(funder!, x!, 4);
    expect((await mine.request('POST', API.resume(job))).status).toBe(200);
    for (const v of [y!, x!]) await v.computeAndSubmit((await v.lease(10)).leases, square);
    expect((await mine.progress(job)).counts.validated).toBe(5);
    const stats = await funder!.stats();
    expect(stats).toMatchObject({ credit: 100, spent: 100, unspendable: 0, balance: 0 });

    // The funder's own entries, each verified offline against the log's key, give the same wallet.
    const { receipts } = await funder!.receipts();
    const bodies: ReceiptBody[] = [];
    for (const r of receipts) {
      const checked = await verifyReceipt(r, grid.coordinator.publicKey);
      expect(checked.ok).toBe(true);
      if (checked.ok) bodies.push(checked.value);
    }
    const debits = bodies.filter((b) => b.type === 'debit');
    expect(debits).toHaveLength(5);
    for (const d of debits) expect(d).toMatchObject({ job, replicas: 2, debit: 20 });
    expect(walletOf(bodies, funder!.key)).toEqual({ earned: 100, unspendable: 0, spent: 100, balance: 0 });
    // Those who computed it hold receipts that name who paid.
    const paidFor = (await x!.receipts()).receipts
      .map((r) => r.receipt.body)
      .filter((b) => 'job' in b && b.job === job);
    expect(paidFor.length).toBeGreaterThan(0);
    for (const b of paidFor) expect(b).toMatchObject({ type: 'credit', funder: funder!.key });
  });

  it('spends a short balance on units seen through to validation, not on first replicas of many', async () => {
    const volunteers = await Promise.all([1, 2, 3, 4, 5].map(() => SimVolunteer.create(grid.coordinator.url)));
    const [funder, ...workers] = volunteers as [SimVolunteer, ...SimVolunteer[]];
    // 150 credit at 10 a replica: 15 replicas, 7 units of quorum 2 and one replica over.
    await earn(funder, workers[0]!, 15);
    const mine = await openProject(funder);
    const job = await mine.createSquareJob({ name: 'more units than credit' });
    await mine.addSquares(job, 1, 100);
    // Each in turn leases what it may and returns it, until a whole round gets nothing.
    for (let got = true; got; ) {
      got = false;
      for (const v of workers) {
        const { leases } = await v.lease(10);
        got ||= leases.length > 0;
        await v.computeAndSubmit(leases, square);
      }
    }
    // Drawn at random from the lowest wanting units, the 15 replicas went to 15 units of which one or two
    // validated; started units first, they buy 7 validated units and leave none half done.
    expect((await mine.progress(job)).counts).toMatchObject({ validated: 7, in_progress: 0, unsent: 93 });
    expect(await funder.stats()).toMatchObject({ spent: 140, balance: 10 });
    // The 10 left cannot see a new unit through: the sweep pauses the job, saying why.
    await grid.coordinator.sweep();
    const paused = await progressOf(mine, job);
    expect(paused.state).toBe('paused');
    expect(paused.diagnosis.why).toMatch(/10 credit left uncommitted, a new unit's 2 replicas cost 20/);
  });

  it('keeps nothing back for a paused job’s started units: its funder’s other job runs on the balance', async () => {
    const [funder, x, y] = await Promise.all([1, 2, 3].map(() => SimVolunteer.create(grid.coordinator.url)));
    await earn(funder!, x!, 4);
    const mine = await openProject(funder!);
    // Job A: two units started by x (their second replicas would cost 20 of the 40), then paused.
    const a = await mine.createSquareJob({ name: 'A' });
    await mine.addSquares(a, 1, 10);
    const started = await x!.lease(10);
    expect(started.leases).toHaveLength(2);
    await x!.computeAndSubmit(started.leases, square);
    expect((await mine.request('POST', API.pause(a))).status).toBe(200);
    // Job B runs on the 20 left (one new unit's two replicas; y may hold one of them): A's started units, paused,
    // keep nothing back from it.
    const b = await mine.createSquareJob({ name: 'B' });
    await mine.addSquares(b, 1, 10);
    expect((await y!.lease(10)).leases).toHaveLength(1);
    await grid.coordinator.sweep();
    expect((await progressOf(mine, b)).state).toBe('active');
  });

  it('keeps credit a key earned on its own job out of its balance', async () => {
    const [funder, x] = await Promise.all([1, 2].map(() => SimVolunteer.create(grid.coordinator.url)));
    await earn(funder!, x!, 4);
    const mine = await openProject(funder!);
    const job = await mine.createSquareJob({ name: 'my own' });
    await mine.addSquares(job, 100, 2);
    for (const v of [funder!, x!]) await v.computeAndSubmit((await v.lease(2)).leases, square);
    expect((await mine.progress(job)).counts.validated).toBe(2);
    // Earned 40 + 20 on its own job; spent 2 units × 2 replicas × 10; only the 40 was spendable.
    expect(await funder!.stats()).toMatchObject({ credit: 60, unspendable: 20, spent: 40, balance: 0 });
  });

  it('gives a key one personal project, a new token each time it asks, and refuses one without a key', async () => {
    const [funder] = await Promise.all([SimVolunteer.create(grid.coordinator.url)]);
    const first = await funder!.post<CreatedProject>(API.myFundedProject, { name: 'mine' });
    const again = await funder!.post<CreatedProject>(API.myFundedProject, { name: 'renamed?' });
    expect(again.body.project).toEqual(first.body.project);
    expect(again.body.token).not.toBe(first.body.token);
    const old = new Researcher(grid.coordinator.url, first.body.token);
    expect((await old.request('GET', API.myProject)).status).toBe(401);
    expect(await funder!.stats()).toMatchObject({ fundedProject: first.body.project.id });
    const anonymous = await funder!.post(API.myFundedProject, { name: 'x' }, false);
    expect(anonymous.status).toBe(401);
    const bad = await funder!.post<{ error: { code: string } }>(API.myFundedProject, { name: 42 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('bad_request');
  });
});
