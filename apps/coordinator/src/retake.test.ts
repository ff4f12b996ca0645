// A key may be leased a unit again when every lease of it it held came back with no answer (given back or run out),
// a few times at most, the k-th time 2^(k-1) lease periods after its previous lease of it ended, and only when
// nothing else of the job is left for it. Before, any replica tied a key to its unit for good, so a grid of few keys
// (a lab's farm, two machines whose pages come and go) could be left with units none of them might take and a job
// that never completed (found by grid-life.test.ts); with one retake, four keys that keep losing leases still were
// (BENCHMARKS.md, Adversaries). Unbounded and at once, the same freedom let a hoarder hold the same units again and
// again: hence a fallback, after waits in which any other key could take the unit, growing, and capped.
import { API, type Lease, fromBase64 } from '@bricolage/protocol';
import { expect, it } from 'vitest';
import { ManualClock, seededRandom } from './clock';
import { describeBackends } from './testing/backends';
import { square } from './testing/fixtures';
import { useGrid } from './testing/grid-fixture';
import { errorResult, okResult, SimVolunteer } from './testing/sim-volunteer';

describeBackends('retaking a unit', (backend) => {
  const clock = new ManualClock();
  const grid = useGrid(backend, { name: 'retake' });

  async function start(units: number, minQuorum: number): Promise<string> {
    await grid.start({
      clock,
      random: seededRandom(11),
      config: { sweepMs: 3_600_000 },
      log: () => undefined,
      project: 'retake',
    });
    const id = await grid.researcher.createSquareJob({
      leaseSeconds: 60,
      redundancy: { minQuorum, maxTotalResults: minQuorum + 2, maxErrorResults: 3, homogeneous: false },
    });
    expect((await grid.researcher.addSquares(id, 1, units)).status).toBe(200);
    return id;
  }
  const enrol = () => SimVolunteer.create(grid.coordinator.url);
  const right = (l: Lease) => okResult(l, square(fromBase64(l.input ?? '')));
  const giveBack = async (v: SimVolunteer, l: Lease) =>
    expect((await v.post(API.release, { leases: [l.lease] })).body).toEqual({ released: 1 });
  const expire = async () => {
    clock.advance(61_000);
    return grid.coordinator.sweep();
  };
  /** The job's lease period (leaseSeconds): what a unit waits, offered to every other key, before a key retakes it. */
  const wait = () => clock.advance(60_000);
  const replicasOf = async (workUnit: string) =>
    (
      await grid.db.query<{ volunteer: string; state: string; attempt: unknown }>(
        `SELECT volunteer, state, attempt FROM replicas WHERE wu = ${Number(workUnit.slice('wu_'.length))} ORDER BY id`,
      )
    ).map((r) => ({ state: r.state, attempt: Number(r.attempt) }));

  it('gives a key back a unit it gave back only once nothing else of the job is left for it, a lease period later, as a new lease', async () => {
    const job = await start(2, 1);
    const alone = await enrol();
    const [first] = (await alone.lease(1)).leases as [Lease];
    await giveBack(alone, first);

    // The other unit first: a key is not handed back what it let go while the job has units it never held.
    const [other] = (await alone.lease(1)).leases as [Lease];
    expect(other.workUnit).not.toBe(first.workUnit);
    expect((await alone.submit([right(other)])).body).toMatchObject({ accepted: 1 });

    // Not before a lease period has passed since it gave the unit back: another key may take it meanwhile.
    clock.advance(59_000);
    expect((await alone.lease(1)).leases).toEqual([]);
    clock.advance(1_000);
    const [again] = (await alone.lease(1)).leases as [Lease];
    expect(again).toMatchObject({ workUnit: first.workUnit });
    expect(again.lease).not.toBe(first.lease);
    expect((await alone.submit([right(first)])).status).toBe(410);
    expect((await alone.submit([right(again)])).body).toMatchObject({ accepted: 1 });
    expect((await grid.researcher.progress(job)).counts).toMatchObject({ validated: 2 });
    expect((await alone.receipts()).receipts).toHaveLength(2);
    expect(await replicasOf(first.workUnit)).toEqual([
      { state: 'released', attempt: 0 },
      { state: 'valid', attempt: 1 },
    ]);
  });

  it('lets a small grid finish a unit whose leases ran out with every one of its keys', async () => {
    const job = await start(1, 2);
    const [a, b] = [await enrol(), await enrol()];
    expect((await a.lease(1)).leases).toHaveLength(1);
    expect((await b.lease(1)).leases).toHaveLength(1);
    expect(await expire()).toBe(2);
    expect((await a.lease(1)).leases).toEqual([]);
    wait();

    const [la] = (await a.lease(1)).leases as [Lease];
    const [lb] = (await b.lease(1)).leases as [Lease];
    expect(la.workUnit).toBe(lb.workUnit);
    expect((await a.submit([right(la)])).body).toMatchObject({ accepted: 1 });
    expect((await b.submit([right(lb)])).body).toMatchObject({ accepted: 1 });
    expect((await grid.researcher.progress(job)).counts).toMatchObject({ validated: 1, in_progress: 0 });
    // Each key holds one receipt: a unit's credit goes to a key once, however many leases it took.
    expect((await a.receipts()).receipts).toHaveLength(1);
    expect((await b.receipts()).receipts).toHaveLength(1);
  });

  it('retakes a unit again after each loss, the k-th time 2^(k-1) lease periods after its lease before ended, four times at most', async () => {
    /** The lease periods each retake waits (rules/assignment.ts DEFAULT_RETAKE), written out: the rule, pinned. */
    const WAITS = [1, 2, 4, 8];
    const job = await start(1, 1);
    const a = await enrol();
    const [first] = (await a.lease(1)).leases as [Lease];
    const leases = [first];
    await giveBack(a, first);
    for (const [i, periods] of WAITS.entries()) {
      const k = i + 1;
      // Its lease before ended now (given back, or run out a second ago): not a moment before its wait is over.
      clock.advance(periods * 60_000 - (k % 2 === 0 ? 1_001 : 1));
      await a.authenticate(); // the waits outlast a token
      expect((await a.lease(1)).leases).toEqual([]);
      clock.advance(1);
      const [again] = (await a.lease(1)).leases as [Lease];
      expect(again).toMatchObject({ workUnit: first.workUnit });
      leases.push(again as Lease);
      // Lost again: given back, or run out (every other time).
      if (k % 2 === 1) expect(await expire()).toBe(1);
      else await giveBack(a, again as Lease);
    }
    expect(new Set(leases.map((l) => l.lease)).size).toBe(5);
    expect((await replicasOf(first.workUnit)).map((r) => r.attempt)).toEqual([0, 1, 2, 3, 4]);
    // Past its last retake, never again, however long it waits; and the job's diagnosis no longer says it may.
    clock.advance(1_000 * 60_000);
    await a.authenticate();
    expect((await a.lease(1)).leases).toEqual([]);
    expect((await grid.researcher.progress(job)).diagnosis).toMatchObject({
      code: 'waiting_for_volunteers',
      stalled: true,
    });
    // Another key still may: the unit waits for a key that has not lost it that often.
    const b = await enrol();
    expect((await b.lease(1)).leases).toMatchObject([{ workUnit: first.workUnit }]);
  });

  it("says in the job's diagnosis that its units wait for a key to retake them, and until when, as a lease would", async () => {
    // Found by review: the diagnosis asked the store whether a key online could be leased a unit, and it counted
    // a unit the key gave back a moment ago, so a job whose every unit waited out a retake was called queued.
    const job = await start(1, 1);
    const a = await enrol();
    const diagnosis = async () => (await grid.researcher.progress(job)).diagnosis;
    const [first] = (await a.lease(1)).leases as [Lease];
    await giveBack(a, first);
    expect((await a.lease(1)).leases).toEqual([]);
    expect(await diagnosis()).toMatchObject({
      code: 'waiting_for_retake',
      stalled: false,
      why: '1 work unit waits: the eligible volunteers online (1) hold or returned every unit that wants one, and one of them may retake a unit it gave back or let run out in 1 minute (each retake waits longer); any other volunteer may take one now',
    });
    clock.advance(59_999);
    expect((await diagnosis()).code).toBe('waiting_for_retake');
    clock.advance(1);
    expect((await diagnosis()).code).toBe('running');
    const [again] = (await a.lease(1)).leases as [Lease];
    expect(again).toMatchObject({ workUnit: first.workUnit });

    // Run out: its second retake waits two lease periods after the deadline, a minute ago.
    expect(await expire()).toBe(1);
    expect((await a.lease(1)).leases).toEqual([]);
    expect((await diagnosis()).why).toContain('may retake a unit it gave back or let run out in 2 minutes');
  });

  it('never retakes a unit after its retake was answered, with a result or an error', async () => {
    await start(2, 2);
    const [answers, errs] = [await enrol(), await enrol()];
    for (const [v, answer] of [
      [answers, right],
      [errs, (l: Lease) => errorResult(l)],
    ] as const) {
      await v.authenticate();
      const held = (await v.lease(2)).leases;
      expect(held).toHaveLength(2);
      for (const l of held) await giveBack(v, l);
      wait();
      const again = (await v.lease(2)).leases;
      expect(again.map((l) => l.workUnit).sort()).toEqual(held.map((l) => l.workUnit).sort());
      expect((await v.submit(again.map(answer))).body).toMatchObject({ accepted: 2 });
      clock.advance(100 * 60_000);
      await v.authenticate();
      expect((await v.lease(2)).leases).toEqual([]);
    }
  });

  it('never gives a unit again to a key that answered it, with a result or an error', async () => {
    await start(2, 2);
    const [answers, errs] = [await enrol(), await enrol()];
    const held = (await answers.lease(2)).leases;
    expect(held).toHaveLength(2);
    expect((await answers.submit(held.map(right))).body).toMatchObject({ accepted: 2 });
    expect((await answers.lease(2)).leases).toEqual([]);

    const other = (await errs.lease(2)).leases;
    expect(other).toHaveLength(2);
    expect((await errs.submit(other.map((l) => errorResult(l)))).body).toMatchObject({ accepted: 2 });
    expect((await errs.lease(2)).leases).toEqual([]);
  });

  it('keeps one open lease per key and unit: a key holding a lease of a unit is not leased it again', async () => {
    await start(1, 2);
    const a = await enrol();
    expect((await a.lease(1)).leases).toHaveLength(1);
    expect((await a.lease(1)).leases).toEqual([]);
    expect(await expire()).toBe(1);
    wait();
    expect((await a.lease(1)).leases).toHaveLength(1);
    expect((await a.lease(1)).leases).toEqual([]);
  });

  it('lets another key take a unit given back while the key that gave it back waits', async () => {
    await start(1, 1);
    const [a, b] = [await enrol(), await enrol()];
    const [first] = (await a.lease(1)).leases as [Lease];
    await giveBack(a, first);
    expect((await b.lease(1)).leases).toMatchObject([{ workUnit: first.workUnit }]);
    wait();
    expect((await a.lease(1)).leases).toEqual([]);
  });

  it('does not hand a key back a unit while the job has units it never held beyond the windows a draw reads', async () => {
    // Found by review: the ordinary draw reads a few windows of the lowest wanting units; all of them refused to
    // the key (held by keys of its own burst) is not "nothing else of the job left for it".
    await grid.start({
      clock,
      random: seededRandom(5),
      config: { trustProxy: 'loopback', sweepMs: 3_600_000 },
      log: () => undefined,
      project: 'retake',
    });
    const job = await grid.researcher.createSquareJob({
      leaseSeconds: 60,
      redundancy: { minQuorum: 2, maxTotalResults: 8, maxErrorResults: 3, homogeneous: false },
    });
    const from = (address: string) => SimVolunteer.create(grid.coordinator.url, address);
    // One unit first: a key of another network and A both hold it, so it wants nothing while A's burst leases.
    expect((await grid.researcher.addSquares(job, 1, 1)).status).toBe(200);
    const c = await from('198.51.100.7');
    const a = await from('203.0.113.5');
    expect((await c.lease(1)).leases).toHaveLength(1);
    const [first] = (await a.lease(1)).leases as [Lease];
    expect((await grid.researcher.addSquares(job, 2, 600)).status).toBe(200);
    // New keys of A's network (one burst with A) take the lowest 256 units: each refused to A by separation.
    let siblings = 0;
    for (let i = 0; i < 16; i++) siblings += (await (await from(`203.0.113.${10 + i}`)).lease(16)).leases.length;
    expect(siblings).toBe(256);
    await giveBack(a, first);
    wait();
    // Nothing this time (its windows were all refused to it), but not the unit it gave back.
    expect((await a.lease(1)).leases.map((l) => l.workUnit)).not.toContain(first.workUnit);
  });
});
