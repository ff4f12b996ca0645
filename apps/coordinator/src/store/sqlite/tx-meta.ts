import type { Ban, VolunteerKey } from '@bricolage/protocol';
import { buffer, bytes } from '../record-rows';
import type { MetaRows, BanRows } from '../persistence';
import type { SqliteStatements } from './statements';

export const metaRows = (db: SqliteStatements): MetaRows & BanRows => ({
  async meta(key: string): Promise<Uint8Array | null> {
    const value = db.statement('SELECT value FROM meta WHERE key = ?').pluck().get(key) as Buffer | undefined;
    return value ? bytes(value) : null;
  },

  async putMeta(key: string, value: Uint8Array): Promise<void> {
    db.statement(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ).run(key, buffer(value));
  },

  async isVolunteer(key: VolunteerKey): Promise<boolean> {
    return db.statement('SELECT 1 FROM volunteers WHERE key = ?').get(key) !== undefined;
  },

  async ensureVolunteer(key: VolunteerKey, address: string, bucket: string, now: number): Promise<void> {
    db.statement(
      `INSERT INTO volunteers (key, address, bucket, first_seen) VALUES (?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET address = excluded.address, bucket = excluded.bucket,
         first_seen = COALESCE(volunteers.first_seen, excluded.first_seen)`,
    ).run(key, address, bucket, now);
  },

  async pruneChallenges(now: number): Promise<void> {
    db.statement('DELETE FROM challenges WHERE expires_at < ?').run(now);
  },

  async recordChallenge(nonce: string, volunteer: VolunteerKey, expiresAt: number): Promise<boolean> {
    return (
      db
        .statement('INSERT OR IGNORE INTO challenges (challenge, volunteer, expires_at) VALUES (?, ?, ?)')
        .run(nonce, volunteer, expiresAt).changes === 1
    );
  },

  async putBan(volunteer: VolunteerKey, reason: string, at: number): Promise<void> {
    db.statement(
      'INSERT INTO bans (volunteer, reason, at) VALUES (?, ?, ?) ON CONFLICT (volunteer) DO UPDATE SET reason = excluded.reason',
    ).run(volunteer, reason, at);
  },

  async deleteBan(volunteer: VolunteerKey): Promise<boolean> {
    return db.statement('DELETE FROM bans WHERE volunteer = ?').run(volunteer).changes > 0;
  },

  async ban(volunteer: VolunteerKey): Promise<Ban | null> {
    return (
      (db.statement('SELECT volunteer, reason, at FROM bans WHERE volunteer = ?').get(volunteer) as Ban | undefined) ??
      null
    );
  },

  async bans(): Promise<Ban[]> {
    return db.statement('SELECT volunteer, reason, at FROM bans ORDER BY at, volunteer').all() as Ban[];
  },

  async endLeasesOf(volunteer: VolunteerKey, now: number): Promise<number> {
    return db
      .statement("UPDATE replicas SET deadline = ? WHERE volunteer = ? AND state = 'leased' AND deadline >= ?")
      .run(now - 1, volunteer, now).changes;
  },
});
