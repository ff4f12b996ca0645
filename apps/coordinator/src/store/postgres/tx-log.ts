import type { VolunteerKey } from '@bricolage/protocol';
import type { LogHead, MerkleNode, NewReceipt } from '../records';
import type { StoredReceipt } from '../store';
import { bytes, packFrontier, type ReceiptRow, toStoredReceipt, unpackFrontier } from '../record-rows';
import type { LogRows } from '../persistence';
import type { PgQueries } from './queries';

export const logRows = (db: PgQueries): LogRows => ({
  async logHead(): Promise<LogHead> {
    return head(db, 'SELECT size, frontier, root, at FROM log_head WHERE id = 1');
  },

  async lockLogHead(): Promise<LogHead> {
    return head(db, 'SELECT size, frontier, root, at FROM log_head WHERE id = 1 FOR UPDATE');
  },

  async setLogHead(head: LogHead): Promise<void> {
    await db.q('UPDATE log_head SET size = $1, frontier = $2, root = $3, at = $4 WHERE id = 1', [
      head.size,
      packFrontier(head.frontier),
      head.root,
      head.at,
    ]);
  },

  async insertReceipts(rows: readonly NewReceipt[]): Promise<void> {
    await db.q(
      'INSERT INTO receipts (idx, volunteer, body, leaf) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bytea[])',
      [rows.map((r) => r.index), rows.map((r) => r.volunteer), rows.map((r) => r.body), rows.map((r) => r.leaf)],
    );
  },

  async insertMerkleNodes(nodes: readonly MerkleNode[]): Promise<void> {
    await db.q(
      `INSERT INTO merkle_nodes (level, idx, hash) SELECT * FROM unnest($1::int[], $2::bigint[], $3::bytea[])
       ON CONFLICT (level, idx) DO UPDATE SET hash = EXCLUDED.hash`,
      [nodes.map((n) => n.level), nodes.map((n) => n.index), nodes.map((n) => n.hash)],
    );
  },

  async merkleNodes(keys: readonly { level: number; index: number }[]): Promise<MerkleNode[]> {
    const rows = await db.q<{ level: number; idx: number; hash: Buffer }>(
      // Level 0 is kept with the receipts; the levels above as nodes.
      `SELECT m.level, m.idx, m.hash FROM merkle_nodes m
       JOIN unnest($1::int[], $2::bigint[]) AS k(level, idx) ON m.level = k.level AND m.idx = k.idx
       UNION ALL
       SELECT 0 AS level, r.idx, r.leaf AS hash FROM receipts r
       JOIN unnest($1::int[], $2::bigint[]) AS k(level, idx) ON k.level = 0 AND r.idx = k.idx`,
      [keys.map((k) => k.level), keys.map((k) => k.index)],
    );
    return rows.map((r) => ({ level: r.level, index: r.idx, hash: bytes(r.hash) }));
  },

  async receiptsFor(volunteer: VolunteerKey, after: number, limit: number): Promise<StoredReceipt[]> {
    const rows = await db.q<ReceiptRow>(
      'SELECT idx, body, signature FROM receipts WHERE volunteer = $1 AND idx > $2 ORDER BY idx LIMIT $3',
      [volunteer, after, limit],
    );
    return rows.map(toStoredReceipt);
  },

  async receiptsBetween(start: number, end: number): Promise<StoredReceipt[]> {
    const rows = await db.q<ReceiptRow>(
      'SELECT idx, body, signature FROM receipts WHERE idx >= $1 AND idx < $2 ORDER BY idx',
      [start, end],
    );
    return rows.map(toStoredReceipt);
  },

  async setReceiptSignatures(signatures: ReadonlyMap<number, string>): Promise<void> {
    await db.q(
      `UPDATE receipts r SET signature = s.sig FROM unnest($1::bigint[], $2::text[]) AS s(idx, sig)
       WHERE r.idx = s.idx AND r.signature IS NULL`,
      [[...signatures.keys()], [...signatures.values()]],
    );
  },
});

async function head(db: PgQueries, text: string): Promise<LogHead> {
  const row = (await db.one<{ size: number; frontier: Buffer; root: Buffer; at: number }>(text)) as {
    size: number;
    frontier: Buffer;
    root: Buffer;
    at: number;
  };
  return { size: row.size, frontier: unpackFrontier(row.frontier), root: bytes(row.root), at: row.at };
}
