import type { LeaseNumber, VolunteerKey } from '@bricolage/protocol';
import type { LeaseRequestRecord, LeaseRequestRows } from '../persistence';
import type { PgQueries } from './queries';

export const leaseRequestRows = (db: PgQueries): LeaseRequestRows => ({
  async leaseRequest(volunteer: VolunteerKey, request: string): Promise<LeaseRequestRecord | null> {
    const row = await db.one<{ leases: string; given_up: boolean }>(
      'SELECT leases, given_up FROM lease_requests WHERE volunteer = $1 AND request = $2',
      [volunteer, request],
    );
    return row ? { leases: JSON.parse(row.leases) as LeaseNumber[], givenUp: row.given_up } : null;
  },

  async putLeaseRequest(
    volunteer: VolunteerKey,
    request: string,
    row: LeaseRequestRecord,
    expiresAt: number,
  ): Promise<void> {
    await db.q(
      `INSERT INTO lease_requests (volunteer, request, leases, given_up, expires_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (volunteer, request) DO UPDATE SET leases = EXCLUDED.leases, given_up = EXCLUDED.given_up`,
      [volunteer, request, JSON.stringify(row.leases), row.givenUp, expiresAt],
    );
  },

  async pruneLeaseRequests(now: number): Promise<void> {
    await db.q('DELETE FROM lease_requests WHERE expires_at < $1', [now]);
  },
});
