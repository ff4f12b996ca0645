// The books checker holds at any instant, not only once every lease is in: here, while a known answer is leased (a
// known answer's lease raises no `in_flight`: records.ts isKnownAnswer). Both backends.
import { expect, it } from 'vitest';
import { ManualClock, seededRandom } from '../clock';
import { describeBackends } from './backends';
import { checkBooks } from './books';
import { square } from './fixtures';
import { useGrid } from './grid-fixture';
import { SimVolunteer } from './sim-volunteer';

describeBackends('the books checker', (backend) => {
  const grid = useGrid(backend, {
    name: 'books',
    start: () => ({ clock: new ManualClock(), random: seededRandom(17), project: 'books' }),
  });

  it('finds the books balanced while a known answer and a unit are leased, and once they are answered', async () => {
    const job = await grid.researcher.createSquareJob({ knownAnswerRate: 1 });
    await grid.researcher.addSquares(job, 1, 1, 1);
    const key = await SimVolunteer.create(grid.coordinator.url);
    const { leases } = await key.lease(2);
    expect(leases).toHaveLength(2);
    expect(await checkBooks(grid.db.query, () => true)).toEqual([]);
    await key.computeAndSubmit(leases, square);
    expect(await checkBooks(grid.db.query, () => true)).toEqual([]);
  });
});
