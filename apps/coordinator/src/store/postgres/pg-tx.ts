// The row operations of one Postgres transaction (../persistence.ts), one module per kind of row. Every set
// is one statement over arrays (unnest), and rows a step will change are locked as they are read (FOR
// UPDATE; SKIP LOCKED where another coordinator's rows can simply be passed over: leasing, the sweep).
import type { PoolClient } from 'pg';
import type { Tx } from '../persistence';
import { PgQueries } from './queries';
import { jobRows } from './tx-jobs';
import { leaseRequestRows } from './tx-lease-requests';
import { leaseRows } from './tx-leases';
import { resultRows } from './tx-results';
import { logRows } from './tx-log';
import { metaRows } from './tx-meta';
import { projectRows } from './tx-projects';

/** One Tx per pooled connection, made the first time it runs a transaction. */
const txs = new WeakMap<PoolClient, Tx>();

export const pgTx = (client: PoolClient): Tx => {
  let tx = txs.get(client);
  if (!tx) {
    const db = new PgQueries(client);
    tx = {
      ...projectRows(db),
      ...jobRows(db),
      ...leaseRows(db),
      ...resultRows(db),
      ...leaseRequestRows(db),
      ...logRows(db),
      ...metaRows(db),
    };
    txs.set(client, tx);
  }
  return tx;
};
