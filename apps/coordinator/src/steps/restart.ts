// Restart: the grid's downtime is not the volunteers' fault. The sweep records when the grid was last known to
// run; at start, every lease still live then gets the downtime (and a grace) added to its deadline, so that a
// page that kept computing through an outage can still hand its results in.
import type { Tx } from '../store/persistence';

/** The meta entry holding when the grid was last known to run (ms since the epoch, as decimal text). */
export const ALIVE_AT = 'alive_at';

export function markAlive(tx: Tx, now: number): Promise<void> {
  return tx.putMeta(ALIVE_AT, new TextEncoder().encode(String(now)));
}

export async function resumeLeases(
  tx: Tx,
  now: number,
  graceMs: number,
): Promise<{ readonly downtimeMs: number; readonly extended: number }> {
  const stored = await tx.meta(ALIVE_AT);
  const aliveAt = stored ? Number(new TextDecoder().decode(stored)) : Number.NaN;
  // Recorded at once, so that a crash before the first sweep cannot make the next start add it again.
  await markAlive(tx, now);
  const downtimeMs = now - aliveAt;
  if (!Number.isSafeInteger(aliveAt) || !(downtimeMs > 0)) return { downtimeMs: 0, extended: 0 };
  return { downtimeMs, extended: await tx.extendLiveLeases(aliveAt, downtimeMs + graceMs) };
}
