// A data directory whose inputs were stored WITHOUT ROWID opens with every input kept, in the ordinary table that
// replaced it (schema.ts: a lookup read the inputs on its way down the key's b-tree), and the inputs of an upload
// staged then are kept.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { useSqliteFile } from '../../testing/sqlite-file';
import { MIGRATIONS } from './schema';

const ROWID = MIGRATIONS.findIndex((m) => m.includes('blobs_by_rowid'));

describe('the inputs migration', () => {
  const file = useSqliteFile('blobs');

  it('keeps every input and staged input, in tables with rowids', async () => {
    const db = file.atVersion(ROWID);
    const inputs = Array.from({ length: 50 }, (_, i) => Buffer.alloc(100 * i + 1, i));
    const add = db.prepare('INSERT INTO blobs (hash, bytes) VALUES (?, ?)');
    for (const [i, bytes] of inputs.entries()) add.run(`h${i}`, bytes);
    db.prepare('INSERT INTO staged_blobs (batch, hash, bytes) VALUES (?, ?, ?)').run('b1', 'h0', inputs[0]);
    db.close();

    const store = file.openStore();
    try {
      for (const [i, bytes] of inputs.entries()) {
        expect(Buffer.from((await store.getBlob(`h${i}`))!)).toEqual(bytes);
        expect(await store.blobSize(`h${i}`)).toBe(bytes.length);
      }
      expect(await store.getBlob('h50')).toBeNull();
    } finally {
      await store.close();
    }
    const after = new Database(file.path);
    try {
      const tables = after
        .prepare("SELECT name, sql FROM sqlite_master WHERE name IN ('blobs', 'staged_blobs')")
        .all() as { name: string; sql: string }[];
      expect(tables.map((t) => t.name).sort()).toEqual(['blobs', 'staged_blobs']);
      for (const t of tables) expect(t.sql).not.toMatch(/WITHOUT ROWID/i);
      expect(after.prepare('SELECT batch, hash FROM staged_blobs').all()).toEqual([{ batch: 'b1', hash: 'h0' }]);
      // Still one row per input: the unique key is kept.
      expect(() => after.prepare('INSERT INTO blobs (hash, bytes) VALUES (?, ?)').run('h1', Buffer.alloc(1))).toThrow(
        /UNIQUE/,
      );
    } finally {
      after.close();
    }
  });
});
