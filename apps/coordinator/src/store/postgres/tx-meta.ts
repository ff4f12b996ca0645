import type { Ban, VolunteerKey } from '@bricolage/protocol';
import type { MetaRows, BanRows } from '../persistence';
import { bytes } from '../record-rows';
import type { PgQueries } from './queries';

export const metaRows = (db: PgQueries): MetaRows & BanRows => ({
  async meta(key: string): Promise<Uint8Array | null> {
    const row = await db.one<{ value: Buffer }>('SELECT value FROM meta WHERE key = $1 FOR UPDATE', [key]);
    return row ? bytes(row.value) : null;
  },

  async putMeta(key: string, value: Uint8Array): Promise<void> {
    await db.q('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value', [
      key,
      value,
    ]);
  },

  async isVolunteer(key: VolunteerKey): Promise<boolean> {
    return (await db.one('SELECT 1 FROM volunteers WHERE key = $1', [key])) !== undefined;
  },

  async ensureVolunteer(key: VolunteerKey, address: string, bucket: string, now: number): Promise<void> {
    await db.q(
      `INSERT INTO volunteers (key, address, bucket, first_seen) VALUES ($1, $2, $3, $4)
       ON CONFLICT (key) DO UPDATE SET address = EXCLUDED.address, bucket = EXCLUDED.bucket,
         first_seen = COALESCE(volunteers.first_seen, EXCLUDED.first_seen)`,
      [key, address, bucket, now],
    );
  },

  async pruneChallenges(now: number): Promise<void> {
    await db.q('DELETE FROM challenges WHERE expires_at < $1', [now]);
  },

  async recordChallenge(nonce: string, volunteer: VolunteerKey, expiresAt: number): Promise<boolean> {
    const rows = await db.q(
      'INSERT INTO challenges (challenge, volunteer, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1',
      [nonce, volunteer, expiresAt],
    );
    return rows.length === 1;
  },

  async putBan(volunteer: VolunteerKey, reason: string, at: number): Promise<void> {
    await db.q(
      'INSERT INTO bans (volunteer, reason, at) VALUES ($1, $2, $3) ON CONFLICT (volunteer) DO UPDATE SET reason = EXCLUDED.reason',
      [volunteer, reason, at],
    );
  },

  async deleteBan(volunteer: VolunteerKey): Promise<boolean> {
    return (await db.q('DELETE FROM bans WHERE volunteer = $1 RETURNING 1', [volunteer])).length > 0;
  },

  async ban(volunteer: VolunteerKey): Promise<Ban | null> {
    const row = await db.one<{ volunteer: string; reason: string; at: string }>(
      'SELECT volunteer, reason, at FROM bans WHERE volunteer = $1',
      [volunteer],
    );
    return row ? { volunteer: row.volunteer as VolunteerKey, reason: row.reason, at: Number(row.at) } : null;
  },

  async bans(): Promise<Ban[]> {
    const rows = await db.q<{ volunteer: string; reason: string; at: string }>(
      'SELECT volunteer, reason, at FROM bans ORDER BY at, volunteer',
    );
    return rows.map((r) => ({ volunteer: r.volunteer as VolunteerKey, reason: r.reason, at: Number(r.at) }));
  },

  async endLeasesOf(volunteer: VolunteerKey, now: number): Promise<number> {
    const rows = await db.q(
      "UPDATE replicas SET deadline = $1 WHERE volunteer = $2 AND state = 'leased' AND deadline >= $3 RETURNING id",
      [now - 1, volunteer, now],
    );
    return rows.length;
  },
});
