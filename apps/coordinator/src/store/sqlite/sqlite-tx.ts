// The row operations of one SQLite connection's transactions (../persistence.ts), one module per kind of row.
// An update writes only the columns its change names (one statement per set of columns), so SQLite leaves
// every index on the others alone.
import type Database from 'better-sqlite3';
import type { Tx } from '../persistence';
import { SqliteStatements } from './statements';
import { jobRows } from './tx-jobs';
import { leaseRequestRows } from './tx-lease-requests';
import { leaseRows } from './tx-leases';
import { resultRows } from './tx-results';
import { logRows } from './tx-log';
import { metaRows } from './tx-meta';
import { projectRows } from './tx-projects';

export type SqliteTx = Tx & { dropStagedSync(): number };

export const sqliteTx = (db: Database.Database): SqliteTx => {
  const statements = new SqliteStatements(db);
  return {
    ...projectRows(statements),
    ...jobRows(statements),
    ...leaseRows(statements),
    ...resultRows(statements),
    ...leaseRequestRows(statements),
    ...logRows(statements),
    ...metaRows(statements),
  };
};
