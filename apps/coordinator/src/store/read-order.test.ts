// The orders the store contract (persistence.ts) names for reads whose rows a step takes in turn (or locks in
// turn), held on both stores: a read with a LIMIT and no ORDER BY returns what the store's plan finds first, which differs between
// SQLite (index order) and Postgres (heap order, which an update of a row changes), and so would what the steps
// decide from it.
import { API, type JobId, type LeaseId, leaseNumber, toBase64, type VolunteerKey } from '@bricolage/protocol';
import { expect, it } from 'vitest';
import { ManualClock, seededRandom } from '../clock';
import { DEFAULT_CONFIG } from '../config';
import { openStore } from '../server';
import { describeBackends } from '../testing/backends';
import { square, squareInput } from '../testing/fixtures';
import { useGrid } from '../testing/grid-fixture';
import type { Tx } from './persistence';
import { SimVolunteer } from '../testing/sim-volunteer';

describeBackends('the store’s read orders', (backend) => {
  const grid = useGrid(backend, {
    name: 'read-order',
    start: () => ({ clock: new ManualClock(), random: seededRandom(3), log: () => undefined, project: 'order' }),
  });
  /** Runs `work` in one transaction of a store of its own beside the running coordinator. */
  async function inTx<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const store = await openStore(grid.dir, DEFAULT_CONFIG, Math.random, { databaseUrl: grid.db.databaseUrl });
    try {
      return await store.persistence.transaction(work);
    } finally {
      await store.close();
    }
  }

  it('reads a job’s known answers lowest unit first, whichever row the store last rewrote', async () => {
    const job = await grid.researcher.createSquareJob({ name: 'known', knownAnswerRate: 1 });
    const lines = [1, 2, 3, 4].map(
      (n) => `${JSON.stringify({ input: toBase64(squareInput(n)), expected: toBase64(square(squareInput(n))) })}\n`,
    );
    const res = await grid.researcher.request('POST', API.workUnits(job), lines.join(''), 'application/x-ndjson');
    expect(res.ok).toBe(true);
    const probes = await grid.db.query<{ id: number }>(
      "SELECT id FROM work_units WHERE job = ? AND state = 'probe' ORDER BY id",
      [job],
    );
    const ids = probes.map((p) => Number(p.id));
    expect(ids).toHaveLength(4);
    // The lowest row moves, as a busy table's rows do when updated: Postgres writes a new version of it, and where an
    // indexed column changed (here its state, away and back), new index entries too, after those of the others.
    for (const state of ['unsent', 'probe'])
      expect(await grid.db.execute('UPDATE work_units SET state = ? WHERE id = ?', [state, ids[0]])).toBe(1);
    const read = await inTx(async (tx) =>
      (await tx.probeCandidates(job as JobId, 'someone-else' as VolunteerKey, 2, 0)).map((c) => Number(c.workUnit.id)),
    );
    expect(read).toEqual(ids.slice(0, 2));
  });

  it('reads replicas in context lowest unit first, whatever the order of their leases', async () => {
    // Two one-unit jobs; the second job's unit is leased first, so the lower unit has the higher lease.
    const first = await grid.researcher.createSquareJob({ name: 'first' });
    expect((await grid.researcher.addSquares(first, 1, 1)).status).toBe(200);
    const second = await grid.researcher.createSquareJob({ name: 'second' });
    expect((await grid.researcher.addSquares(second, 2, 1)).status).toBe(200);
    const v = await SimVolunteer.create(grid.coordinator.url);
    expect((await grid.researcher.request('POST', API.pause(first))).status).toBe(200);
    const [early] = (await v.lease(1)).leases;
    expect((await grid.researcher.request('POST', API.resume(first))).status).toBe(200);
    const [late] = (await v.lease(1)).leases;
    expect([early?.job, late?.job]).toEqual([second, first]);
    const leases = [early!.lease, late!.lease].map((l) => leaseNumber(l as LeaseId));
    const read = await inTx(async (tx) => (await tx.replicasInContext(leases)).map((r) => Number(r.replica.id)));
    expect(read).toEqual([...leases].reverse());
  });
});
