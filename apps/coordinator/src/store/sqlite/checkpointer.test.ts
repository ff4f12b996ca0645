// The WAL is checkpointed by a thread of its own, not by the commit that passes 1,000 pages on the event loop.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { SqlitePersistence } from './sqlite-persistence';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** 2 MiB of rows in one transaction, under keys of their own. */
const write = (db: SqlitePersistence, round: number) =>
  db.transaction(async (tx) => {
    for (let i = 0; i < 32; i++) await tx.putMeta(`r${round}-${i}`, new Uint8Array(64 * 1024).fill(round));
  });

it('keeps the WAL to about one round of writes, its thread copying each round into the database', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'checkpointer-'));
  dirs.push(dir);
  const path = join(dir, 'db.sqlite');
  const db = new SqlitePersistence({ path, owner: true });
  const wal = () => statSync(`${path}-wal`).size;
  for (let round = 0; round < 8; round++) {
    await write(db, round);
    await db.checkpointer!.now();
  }
  // Eight rounds of 2 MiB went through a WAL that the writer alone would have let grow to 16 MiB (it checkpoints
  // itself only at 64): each round was copied out, and the next one written over it from the start.
  expect(db.checkpointer!.copied).toBeGreaterThan(8 * 512);
  expect(wal()).toBeLessThan(5 * 1024 * 1024);
  await db.close();
  // All of it is in the database file (read with the WAL set aside).
  rmSync(`${path}-wal`, { force: true });
  rmSync(`${path}-shm`, { force: true });
  const plain = new Database(path, { readonly: true });
  const count = plain.prepare("SELECT count(*) AS n FROM meta WHERE key LIKE 'r%'").get() as { n: number };
  plain.close();
  expect(count.n).toBe(8 * 32);
});

it('lets a delete that must scrub the files empty the WAL while the thread checkpoints', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'checkpointer-'));
  dirs.push(dir);
  const path = join(dir, 'db.sqlite');
  const db = new SqlitePersistence({ path, owner: true });
  const secret = (i: number) => new TextEncoder().encode(`secret-${i}-`.padEnd(64, '#'));
  for (let i = 0; i < 20; i++) {
    await db.transaction((tx) => tx.putMeta(`k${i}`, secret(i)));
    // The thread checkpoints while the delete empties the WAL: SQLite answers one of them busy.
    await Promise.all([db.checkpointer!.now(), db.deleteMeta(`k${i}`), db.checkpointer!.now()]);
  }
  const files = [path, `${path}-wal`].map((f) => readFileSync(f).toString('latin1'));
  for (let i = 0; i < 20; i++) for (const f of files) expect(f.includes(`secret-${i}-`)).toBe(false);
  await db.close();
});
