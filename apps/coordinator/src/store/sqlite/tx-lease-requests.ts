import type { LeaseNumber, VolunteerKey } from '@bricolage/protocol';
import type { LeaseRequestRecord, LeaseRequestRows } from '../persistence';
import type { SqliteStatements } from './statements';

export const leaseRequestRows = (db: SqliteStatements): LeaseRequestRows => ({
  async leaseRequest(volunteer: VolunteerKey, request: string): Promise<LeaseRequestRecord | null> {
    const row = db
      .statement('SELECT leases, given_up FROM lease_requests WHERE volunteer = ? AND request = ?')
      .get(volunteer, request) as { leases: string; given_up: number } | undefined;
    return row ? { leases: JSON.parse(row.leases) as LeaseNumber[], givenUp: row.given_up === 1 } : null;
  },

  async putLeaseRequest(
    volunteer: VolunteerKey,
    request: string,
    row: LeaseRequestRecord,
    expiresAt: number,
  ): Promise<void> {
    db.statement(
      `INSERT INTO lease_requests (volunteer, request, leases, given_up, expires_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (volunteer, request) DO UPDATE SET leases = excluded.leases, given_up = excluded.given_up`,
    ).run(volunteer, request, JSON.stringify(row.leases), row.givenUp ? 1 : 0, expiresAt);
  },

  async pruneLeaseRequests(now: number): Promise<void> {
    db.statement('DELETE FROM lease_requests WHERE expires_at < ?').run(now);
  },
});
