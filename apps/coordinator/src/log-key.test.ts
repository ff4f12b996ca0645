// Coordinators sharing one database are one grid only with one DATA_DIR (README, On Postgres): its keys/ hold the
// key the receipt log is signed with. A process started with other keys (its own DATA_DIR, a fresh one, or keys/
// lost) would append receipts naming its key to the one log, signed when first read by whichever process served
// them: they would verify under neither key. Such a start is refused in one line, as other misconfigurations are.
import { renameSync, rmSync } from 'node:fs';
import { expect, it } from 'vitest';
import pg from 'pg';
import { DataDirectoryUnusable } from './data-dir/unusable';
import { layoutOf } from './data-dir/layout';
import { startCoordinator } from './server';
import { DatabaseUnavailable } from './store/postgres/pg-persistence';
import { describeBackends } from './testing/backends';
import { square } from './testing/fixtures';
import { useGrid } from './testing/grid-fixture';
import { SimVolunteer } from './testing/sim-volunteer';

const single = { minQuorum: 1, maxTotalResults: 2, maxErrorResults: 0, homogeneous: false };

describeBackends('the log’s key', (backend) => {
  const grid = useGrid(backend, { name: 'log-key', start: () => ({ project: 'Keys' }) });

  it('refuses a start with other keys than those its log is signed with, and starts again with its own', async () => {
    const key = grid.coordinator.publicKey;
    const keys = layoutOf(grid.dir).keys;
    await grid.stop();
    // Another directory's keys: here, new ones made where the grid's were.
    renameSync(keys, `${keys}-kept`);
    const refused = grid.start();
    await expect(refused).rejects.toThrow(DataDirectoryUnusable);
    await expect(refused).rejects.toThrow(
      new RegExp(`the database's receipt log is signed with the key ${key}, and .* holds the key .*same DATA_DIR`),
    );
    rmSync(keys, { recursive: true, force: true });
    renameSync(`${keys}-kept`, keys);
    expect((await grid.start()).publicKey).toBe(key);
  });

  it('takes the key of a log from before the record from the log’s first entry', async () => {
    const key = grid.coordinator.publicKey;
    const job = await grid.researcher.createSquareJob({ redundancy: single });
    await grid.researcher.addSquares(job, 1, 1);
    const volunteer = await SimVolunteer.create(grid.coordinator.url);
    await volunteer.computeAndSubmit((await volunteer.lease(1)).leases, square);
    expect((await volunteer.receipts()).receipts).toHaveLength(1);
    await grid.stop();
    // As a database written before the key was recorded: the receipt names the key that signed it.
    await grid.db.execute("DELETE FROM meta WHERE key = 'log_key'");
    rmSync(layoutOf(grid.dir).keys, { recursive: true, force: true });
    await expect(grid.start()).rejects.toThrow(`the database's receipt log is signed with the key ${key}`);
  });
});

describeBackends('a role that may read the tables but not write them', (backend) => {
  const grid = useGrid(backend, { name: 'log-key-role', start: () => ({}) });

  it.skipIf(backend.name !== 'postgres')('is said in one line naming the database, not a stack trace', async () => {
    await grid.stop();
    const role = `ro_${Math.random().toString(16).slice(2, 10)}`;
    const admin = new pg.Client({ connectionString: grid.db.databaseUrl as string });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN`);
      await admin.query(`GRANT USAGE, CREATE ON SCHEMA public TO ${role}`);
      await admin.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
      const url = new URL(grid.db.databaseUrl as string);
      url.username = role;
      const start = startCoordinator({ dataDir: grid.dir, databaseUrl: url.toString(), port: 0 });
      await expect(start).rejects.toThrow(DatabaseUnavailable);
      await expect(start).rejects.toThrow(/cannot use the Postgres database at .*: permission denied for table/);
    } finally {
      await admin.query(`REASSIGN OWNED BY ${role} TO CURRENT_USER`).catch(() => undefined);
      await admin.query(`DROP OWNED BY ${role}`).catch(() => undefined);
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    }
  });
});
