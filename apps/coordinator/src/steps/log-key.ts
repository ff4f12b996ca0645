// The grid's identity is the key its receipt log is signed with. Coordinators that share one database must all
// sign with it (one DATA_DIR, README "On Postgres"): a process started with keys of its own would append receipts
// naming its key to the one log, and sign them when first read, so that they verify under neither key. The first
// start records the key in the database; every later start is held to it.
import type { Tx } from '../store/persistence';

const LOG_KEY = 'log_key';

/** Records `key` as the log's when the log has none yet; returns the log's key when it is another (else null). */
export async function claimLogKey(tx: Tx, key: string): Promise<string | null> {
  const recorded = await tx.meta(LOG_KEY);
  // A log from before this record: its first entry names the key that signed it.
  const held = recorded ? new TextDecoder().decode(recorded) : ((await tx.receiptsBetween(0, 1))[0]?.body.log ?? null);
  if (held !== null && held !== key) return held;
  if (!recorded) await tx.putMeta(LOG_KEY, new TextEncoder().encode(key));
  return null;
}
