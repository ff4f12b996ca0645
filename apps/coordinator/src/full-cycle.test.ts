// The whole cycle over real HTTP on a loopback port, with a real SQLite file:
// project → job → work units → volunteers lease, compute, submit → canonical results, credit, proven receipts.
import { API, type SignedTreeHead, fromBase64, verifyConsistentHeads, verifyReceipt } from '@bricolage/protocol';
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
});
