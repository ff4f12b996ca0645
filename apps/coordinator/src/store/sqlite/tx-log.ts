import type { VolunteerKey } from '@bricolage/protocol';
import type { LogHead, MerkleNode, NewReceipt } from '../records';
import type { StoredReceipt } from '../store';
import { buffer, bytes, packFrontier, type ReceiptRow, toStoredReceipt, unpackFrontier } from '../record-rows';
import type { LogHeadRow } from './sqlite-rows';
import { chunks, type SqliteStatements } from './statements';
import type { LogRows } from '../persistence';

export const logRows = (db: SqliteStatements): LogRows => {
  const logHead = async (): Promise<LogHead> => {
    const row = db.statement('SELECT size, frontier, root, at FROM log_head WHERE id = 1').get() as LogHeadRow;
    return { size: row.size, frontier: unpackFrontier(row.frontier), root: bytes(row.root), at: row.at };
  };

  return {
    logHead,

    async lockLogHead(): Promise<LogHead> {
      return logHead();
    },

    async setLogHead(head: LogHead): Promise<void> {
      db.statement('UPDATE log_head SET size = ?, frontier = ?, root = ?, at = ? WHERE id = 1').run(
        head.size,
        packFrontier(head.frontier),
        buffer(head.root),
        head.at,
      );
    },

    async insertReceipts(rows: readonly NewReceipt[]): Promise<void> {
      for (const chunk of chunks(rows))
        db.sized(
          'insertReceipts',
          chunk.length,
          'INSERT INTO receipts (idx, volunteer, body, leaf) VALUES $ROWS',
          '(?, ?, ?, ?)',
        ).run(...chunk.flatMap((r) => [r.index, r.volunteer, r.body, buffer(r.leaf)]));
    },

    async insertMerkleNodes(nodes: readonly MerkleNode[]): Promise<void> {
      for (const chunk of chunks(nodes))
        db.sized(
          'insertNodes',
          chunk.length,
          'INSERT OR REPLACE INTO merkle_nodes (level, idx, hash) VALUES $ROWS',
          '(?, ?, ?)',
        ).run(...chunk.flatMap((n) => [n.level, n.index, buffer(n.hash)]));
    },

    async merkleNodes(keys: readonly { level: number; index: number }[]): Promise<MerkleNode[]> {
      // Leaves are kept with their receipts; those of logs older than that, and every level above, as nodes.
      const leaf = db.statement('SELECT leaf FROM receipts WHERE idx = ?').pluck();
      const node = db.statement('SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?').pluck();
      const nodes: MerkleNode[] = [];
      for (const { level, index } of keys) {
        const hash = ((level === 0 ? leaf.get(index) : null) ?? node.get(level, index)) as Buffer | null | undefined;
        if (hash) nodes.push({ level, index, hash: bytes(hash) });
      }
      return nodes;
    },

    async receiptsFor(volunteer: VolunteerKey, after: number, limit: number): Promise<StoredReceipt[]> {
      return (
        db
          .statement('SELECT idx, body, signature FROM receipts WHERE volunteer = ? AND idx > ? ORDER BY idx LIMIT ?')
          .all(volunteer, after, limit) as ReceiptRow[]
      ).map(toStoredReceipt);
    },

    async receiptsBetween(start: number, end: number): Promise<StoredReceipt[]> {
      return (
        db
          .statement('SELECT idx, body, signature FROM receipts WHERE idx >= ? AND idx < ? ORDER BY idx')
          .all(start, end) as ReceiptRow[]
      ).map(toStoredReceipt);
    },

    async setReceiptSignatures(signatures: ReadonlyMap<number, string>): Promise<void> {
      const set = db.statement('UPDATE receipts SET signature = ? WHERE idx = ? AND signature IS NULL');
      for (const [idx, sig] of signatures) set.run(sig, idx);
    },
  };
};
