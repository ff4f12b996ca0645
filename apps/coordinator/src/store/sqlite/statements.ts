// Prepared statements of one SQLite connection, each prepared once and kept. A set of rows is one statement
// (a VALUES list, an IN list) of up to ROWS rows, prepared once per size: each statement costs ~1.3 µs on top
// of its rows here, a third of an updated row's cost.
import type Database from 'better-sqlite3';

/** Rows per statement at most: enough to make a batch a few statements, few enough to cache one per size. */
export const ROWS = 256;

export const chunks = <T>(items: readonly T[]): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += ROWS) out.push(items.slice(i, i + ROWS));
  return out;
};

export class SqliteStatements {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.#db = db;
  }

  statement(sql: string): Database.Statement {
    let s = this.#statements.get(sql);
    if (!s) {
      s = this.#db.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  /** The statement `sql` with its `$ROWS` standing for `n` copies of `row`, prepared once per `name` and size. */
  sized(name: string, n: number, sql: string, row = '?'): Database.Statement {
    const key = `${name}:${n}`;
    let s = this.#statements.get(key);
    if (!s) {
      s = this.#db.prepare(sql.replace('$ROWS', Array(n).fill(row).join(', ')));
      this.#statements.set(key, s);
    }
    return s;
  }
}
