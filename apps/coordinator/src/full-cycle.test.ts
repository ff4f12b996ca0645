// The whole cycle over real HTTP on a loopback port, with a real SQLite file:
// project → job → work units → volunteers lease, compute, submit → canonical results, credit, proven receipts.
import {
  API,
  fromBase64,
  type SignedTreeHead,
  toBase64,
  verifyConsistentHeads,
  verifyReceipt,
} from '@bricolage/protocol';
import { expect, it } from 'vitest';
import { seededRandom } from './clock';
import { describeBackends } from './testing/backends';
import { square, squareInput } from './testing/fixtures';
import { useGrid } from './testing/grid-fixture';
import { SimVolunteer } from './testing/sim-volunteer';

describeBackends('full cycle over HTTP', (backend) => {
  const grid = useGrid(backend, { name: 'cycle', start: () => ({ random: seededRandom(1), project: 'cycle' }) });

  it('validates every work unit by quorum, credits both volunteers and proves every receipt', async () => {
    const job = await grid.researcher.createSquareJob();
    const added = await grid.researcher.addSquares(job, 1, 20);
    expect(added.status).toBe(200);
    expect(await added.json()).toMatchObject({ added: 20, firstWorkUnit: 'wu_1', lastWorkUnit: 'wu_20' });

    const alice = await SimVolunteer.create(grid.coordinator.url);
    const bob = await SimVolunteer.create(grid.coordinator.url);
    const a = await alice.lease(50);
    const b = await bob.lease(50);
    expect(a.leases).toHaveLength(20);
    expect(b.leases).toHaveLength(20);
    expect(a.jobs[0]?.spec.kind).toBe('wgsl');
    expect((await alice.computeAndSubmit(a.leases, square)).status).toBe(200);
    expect((await grid.researcher.progress(job)).counts.validated).toBe(0);
    expect((await bob.computeAndSubmit(b.leases, square)).status).toBe(200);

    const progress = await grid.researcher.progress(job);
    expect(progress.counts).toMatchObject({ validated: 20, unsent: 0, in_progress: 0, failed: 0 });
    expect(progress.credit).toBe(20 * 10 * 2);

    const results = await grid.researcher.results(job);
    expect(results).toHaveLength(20);
    for (const r of results) {
      const n = Number(String(r.tag).slice(2));
      expect(fromBase64(String(r.output))).toEqual(square(squareInput(n)));
    }
    const resumed = await grid.researcher.results(job, Number(results[9]?.cursor));
    expect(resumed.map((r) => r.workUnit)).toEqual(results.slice(10).map((r) => r.workUnit));

    for (const v of [alice, bob]) {
      const stats = await v.stats();
      expect(stats).toMatchObject({ valid: 20, invalid: 0, credit: 200 });
      const { receipts } = await v.receipts();
      expect(receipts).toHaveLength(20);
      for (const r of receipts) {
        const verdict = await verifyReceipt(r, grid.coordinator.publicKey);
        expect(verdict).toMatchObject({ ok: true });
        expect(r.receipt.body.volunteer).toBe(v.key);
      }
    }

    const wellKnown = (await (await fetch(grid.coordinator.url + API.wellKnown)).json()) as { publicKey: string };
    expect(wellKnown.publicKey).toBe(grid.coordinator.publicKey);
  });

  it('serves consistency proofs between tree heads as the log grows', async () => {
    // Units are drawn at random: three to a job, so that both volunteers compute the same three.
    const job = await grid.researcher.createSquareJob({ name: 'first' });
    await grid.researcher.addSquares(job, 1, 3);
    const [alice, bob] = [
      await SimVolunteer.create(grid.coordinator.url),
      await SimVolunteer.create(grid.coordinator.url),
    ];
    const head = async () => (await (await fetch(grid.coordinator.url + API.treeHead)).json()) as SignedTreeHead;

    const a = await alice.lease(3);
    const b = await bob.lease(3);
    await alice.computeAndSubmit(a.leases, square);
    await bob.computeAndSubmit(b.leases, square);
    const older = await head();
    expect(older.head.size).toBe(6);
    const second = await grid.researcher.createSquareJob({ name: 'second' });
    await grid.researcher.addSquares(second, 4, 3);
    const a2 = await alice.lease(3);
    const b2 = await bob.lease(3);
    await alice.computeAndSubmit(a2.leases, square);
    await bob.computeAndSubmit(b2.leases, square);
    const newer = await head();
    expect(newer.head.size).toBe(12);
    const proof = await (await fetch(`${grid.coordinator.url}${API.consistency}?from=6&to=12`)).json();
    expect(await verifyConsistentHeads(older, newer, proof, grid.coordinator.publicKey)).toMatchObject({ ok: true });
    // The verifier takes no proof from the empty tree, and the route offers none.
    const fromEmpty = await fetch(`${grid.coordinator.url}${API.consistency}?from=0&to=12`);
    expect(fromEmpty.status).toBe(400);
    expect(await fromEmpty.json()).toEqual({ error: { code: 'bad_request', message: 'from must be at least 1' } });
  });

  it("gives a known-answer unit's expected output as its result, in its place among the job's results", async () => {
    const job = await grid.researcher.createSquareJob({ knownAnswerRate: 0.5 });
    expect((await grid.researcher.addSquares(job, 1, 3)).status).toBe(200);
    // Two units whose answers the researcher computed: units of the job like the rest, with tags of theirs.
    const known = [4, 5]
      .map((n) => ({ input: toBase64(squareInput(n)), expected: toBase64(square(squareInput(n))), tag: `n=${n}` }))
      .map((line) => `${JSON.stringify(line)}\n`)
      .join('');
    const added = await grid.researcher.request('POST', API.workUnits(job), known, 'application/x-ndjson');
    expect(await added.json()).toMatchObject({ added: 0, knownAnswer: 2 });
    // Finished as they arrive: the first results, before any volunteer computed anything.
    const first = await grid.researcher.results(job);
    expect(first.map((r) => [r.cursor, r.tag, r.state])).toEqual([
      [1, 'n=4', 'validated'],
      [2, 'n=5', 'validated'],
    ]);
    for (const r of first)
      expect(fromBase64(String(r.output))).toEqual(square(squareInput(Number(String(r.tag).slice(2)))));

    // Volunteers compute the rest, known-answer units among their leases; each unit's result is there once.
    const volunteers = await Promise.all([1, 2, 3].map(() => SimVolunteer.create(grid.coordinator.url)));
    let leasedKnown = 0;
    for (const v of volunteers) {
      const { leases } = await v.lease(10);
      if (leases.length === 0) continue;
      leasedKnown += leases.filter((l) => first.some((r) => r.workUnit === l.workUnit)).length;
      expect((await v.computeAndSubmit(leases, square)).status).toBe(200);
    }
    expect(leasedKnown).toBeGreaterThan(0);
    const progress = await grid.researcher.progress(job);
    expect(progress).toMatchObject({ knownAnswer: 2, counts: { validated: 3, unsent: 0, in_progress: 0 } });
    const all = await grid.researcher.results(job);
    expect(all.map((r) => r.cursor)).toEqual([1, 2, 3, 4, 5]);
    expect(all.map((r) => r.tag).sort()).toEqual(['n=1', 'n=2', 'n=3', 'n=4', 'n=5']);
    expect(all.slice(2).map((r) => r.state)).toEqual(['validated', 'validated', 'validated']);
    const status = (await (await grid.researcher.request('GET', API.job(job))).json()) as { job: { state: string } };
    expect(status.job.state).toBe('completed');
  });
});
