// The embedded default backend: better-sqlite3 in WAL mode, one process per database. Transactions are
// committed in groups: those that arrive while a group runs wait for the next, which runs each in a
// SAVEPOINT (one that fails rolls back alone) and commits them all at once. A commit is made durable by an
// fdatasync of the WAL in libuv's thread pool (wal-sync.ts), and every transaction of the group is answered
// only once that flush is done: a result acknowledged to a volunteer survives power loss, as with
// `synchronous = FULL`, but the event loop never waits for the disk, and one flush covers every group
// committed while the one before it ran. Everything goes through the groups, reads too, so nothing is
// ever answered from a write that is not yet durable.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Broadcast } from '../../broadcast/broadcast';
import { LocalBroadcast } from '../../broadcast/local-broadcast';
import { frontierAt, type MerkleNodeStore, rootOfFrontier } from '../../log/merkle-tree';
import type { Persistence, Tx } from '../persistence';
import { MIGRATIONS } from './schema';
import { packFrontier } from '../record-rows';
import { type SqliteTx, sqliteTx } from './sqlite-tx';
import { WalSync, fileSync } from './wal-sync';
import { Checkpointer, WRITER_CHECKPOINT_PAGES } from './checkpointer';

export interface SqlitePersistenceOptions {
  readonly path: string;
  /**
   * Opened by the owner of the data directory (the coordinator holding its lock), which alone may drop
   * the staged rows a crashed run left: anyone else could be deleting an upload still in flight.
   */
  readonly owner?: boolean;
  readonly onError?: (e: Error) => void;
  /**
   * False for what-if measurements only (bench/coordinator/store-cost.ts): commits are never flushed, so
   * they survive a kill -9 but not a power loss.
   */
  readonly durable?: boolean;
}

/** Copies the whole WAL into the database and empties it, waiting out another connection's checkpoint. */
function truncateWal(db: Database.Database): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; ; attempt++) {
    try {
      const [row] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      if (row?.busy === 0) return;
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
    }
    if (attempt === 200) throw new Error('the WAL could not be emptied: another connection kept it busy for 2 s');
    Atomics.wait(pause, 0, 0, 10);
  }
}

/** Transactions in one group at most, so that a flood cannot hold every answer back for long. */
const MAX_GROUP = 256;

interface Queued {
  readonly work: (tx: Tx) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export class SqlitePersistence implements Persistence {
  readonly backend = 'sqlite';
  readonly broadcast: Broadcast;
  readonly #db: Database.Database;
  readonly #onError: (e: Error) => void;
  readonly #tx: SqliteTx;
  readonly #queue: Queued[] = [];
  #scheduled = false;
  #running = false;
  #closed = false;
  readonly #wal: { sync: WalSync; close: () => void } | null;
  /** Checkpoints the WAL in a thread of its own (checkpointer.ts); none for a database in memory. */
  readonly checkpointer: Checkpointer | null;
  readonly #control: {
    begin: Database.Statement;
    commit: Database.Statement;
    rollback: Database.Statement;
    savepoint: Database.Statement;
    release: Database.Statement;
    rollbackTo: Database.Statement;
  };

  constructor(options: SqlitePersistenceOptions) {
    this.#onError = options.onError ?? (() => undefined);
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.#db = new Database(options.path);
    this.#db.pragma('journal_mode = WAL');
    // FULL: a result acknowledged to a volunteer survives power loss, not only a process crash.
    // NORMAL: SQLite writes the WAL at commit and syncs it only at checkpoints; wal-sync.ts flushes it
    // before any answer leaves.
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma(`wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`);
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('busy_timeout = 5000');
    this.#migrate();
    this.#tx = sqliteTx(this.#db);
    this.#control = {
      begin: this.#db.prepare('BEGIN IMMEDIATE'),
      commit: this.#db.prepare('COMMIT'),
      rollback: this.#db.prepare('ROLLBACK'),
      savepoint: this.#db.prepare('SAVEPOINT tx'),
      release: this.#db.prepare('RELEASE tx'),
      rollbackTo: this.#db.prepare('ROLLBACK TO tx'),
    };
    this.broadcast = new LocalBroadcast(options.onError ?? (() => undefined));
    const file = options.path !== ':memory:' && options.durable !== false ? fileSync(`${options.path}-wal`) : null;
    this.#wal = file ? { sync: new WalSync(file.flush), close: file.close } : null;
    this.checkpointer = options.path !== ':memory:' ? new Checkpointer(options.path, this.#onError) : null;
    // A crash mid-upload leaves staged rows that were never committed: they were never visible, drop them.
    if (options.owner) this.#db.transaction(() => this.#tx.dropStagedSync())();
  }

  #migrate(): void {
    const version = this.#db.pragma('user_version', { simple: true }) as number;
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.#db.transaction(() => {
        this.#db.exec(MIGRATIONS[v] as string);
        this.#db.pragma(`user_version = ${v + 1}`);
      })();
    }
    if (!this.#db.prepare('SELECT 1 FROM log_head').get()) this.#db.transaction(() => this.#fillLogHead())();
  }

  /** The log's head, from a log that predates it: its frontier read from the stored tree, once. */
  #fillLogHead(): void {
    const size = (this.#db.prepare('SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM receipts').get() as { n: number }).n;
    const node = this.#db.prepare('SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?');
    const tree: MerkleNodeStore = {
      getNode: (level, index) => {
        const row = node.get(level, index) as { hash: Buffer } | undefined;
        return row ? new Uint8Array(row.hash) : undefined;
      },
      putNode: () => {
        throw new Error('read-only');
      },
    };
    const frontier = frontierAt(tree, size);
    const last = this.#db.prepare('SELECT body FROM receipts ORDER BY idx DESC LIMIT 1').get() as
      | { body: string }
      | undefined;
    const at = last ? (JSON.parse(last.body) as { at: number }).at : 0;
    this.#db
      .prepare('INSERT INTO log_head (id, size, frontier, root, at) VALUES (1, ?, ?, ?, ?)')
      .run(size, packFrontier(frontier), Buffer.from(rootOfFrontier(frontier)), at);
  }

  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('the store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#running || this.#queue.length === 0) return;
    this.#scheduled = true;
    // After the I/O callbacks already due, so that requests that arrived together commit together.
    setImmediate(() => {
      this.#scheduled = false;
      void this.#runGroup();
    });
  }

  async #runGroup(): Promise<void> {
    this.#running = true;
    const settled: { item: Queued; ok: boolean; value: unknown }[] = [];
    try {
      this.#control.begin.run();
      try {
        while (this.#queue.length > 0 && settled.length < MAX_GROUP) {
          const item = this.#queue.shift() as Queued;
          this.#control.savepoint.run();
          try {
            const value = await item.work(this.#tx);
            this.#control.release.run();
            settled.push({ item, ok: true, value });
          } catch (e) {
            this.#control.rollbackTo.run();
            this.#control.release.run();
            settled.push({ item, ok: false, value: e });
          }
        }
        this.#control.commit.run();
      } catch (e) {
        // The commit itself failed (a full disk, an I/O error): nothing of the group is durable.
        if (this.#db.inTransaction) this.#control.rollback.run();
        for (const s of settled) s.item.reject(e);
        return;
      }
      const answer = () => {
        for (const s of settled) (s.ok ? s.item.resolve : s.item.reject)(s.value);
      };
      // The next group runs while the disk flushes this one.
      if (this.#wal)
        this.#wal.sync.durable().then(answer, (e: Error) => {
          this.#onError(e);
          for (const s of settled) s.item.reject(e);
        });
      else answer();
    } catch (e) {
      for (const s of settled) s.item.reject(e);
      for (const item of this.#queue.splice(0)) item.reject(e);
    } finally {
      this.#running = false;
      this.#schedule();
    }
  }

  async lead(_task: 'sweep'): Promise<boolean> {
    // One process per SQLite database (the data directory's lock): it does everything.
    return true;
  }

  async deleteMeta(key: string): Promise<void> {
    await this.#outside(() => {
      this.#db.pragma('secure_delete = ON');
      try {
        this.#db.prepare('DELETE FROM meta WHERE key = ?').run(key);
      } finally {
        this.#db.pragma('secure_delete = OFF');
      }
      // The WAL may still hold pages as they were: copy it into the scrubbed file and empty it. The checkpointer
      // thread may be checkpointing too (SQLite answers busy then): wait for it, and try again.
      truncateWal(this.#db);
    });
  }

  /** Runs `fn` between groups, outside any transaction (pragmas that a transaction would refuse). */
  async #outside(fn: () => void): Promise<void> {
    for (;;) {
      await this.transaction(async () => undefined);
      if (!this.#running && !this.#db.inTransaction) {
        fn();
        return;
      }
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // Whatever was asked before the close is answered first.
    do await this.transaction(async () => undefined);
    while (this.#running || this.#queue.length > 0);
    this.#closed = true;
    await this.#wal?.sync.settled();
    await this.checkpointer?.close();
    this.#wal?.close();
    await this.broadcast.close();
    this.#db.close();
  }
}
