// Named lease requests: a page that goes (pagehide) while its lease request is out never reads the answer, and the
// units granted in it stayed its key's until their deadlines, then were charged to the key as expiries (a reader
// moving on at the wrong moment: 143 units a minute late and 143 errors, e2e/web/page-leases.spec.ts). So a page
// names each lease request (LeaseRequest.request), and its release on leaving names those still out
// (ReleaseRequest.requests): what was granted under them goes back with the rest (release.ts), and a request the
// release reached first (both are in flight at once) is granted nothing (lease.ts). Both read and write the row
// under the key's lock (lockVolunteer), so that on Postgres a lease and a release of one request take turns. A row
// lives a fixed time from its first write and holds a bounded number of leases, however often a key names it again.
// A page's leases taken back on a resume are not kept under it: a page going while such a request is out leaves
// them held for its key's next page, as before (it may be sending their results as it goes).
import type { LeaseNumber, VolunteerKey } from '@bricolage/protocol';
import type { LeaseRequestRecord } from '../store/persistence';
import type { StepContext } from './context';

/**
 * How long a request's row is kept: longer than a request is in flight (the page gives one up after 30 s without
 * an answer, and then gives it up here too), so that a release naming it finds it, and a lease arriving after its
 * release finds it given up. The sweep drops it after (CoordinatorStore.sweep).
 */
export const LEASE_REQUEST_KEPT_MS = 2 * 60_000;

/** The most leases kept under one name: more than one answer holds (the per-key ceiling, 4,096). */
export const LEASE_REQUEST_MAX_LEASES = 5_000;

/** Adds `leases` to those granted under the request (`before`: its row as the lease read it), up to the bound. */
export async function grantedUnder(
  ctx: StepContext,
  volunteer: VolunteerKey,
  request: string,
  before: LeaseRequestRecord | null,
  leases: readonly LeaseNumber[],
): Promise<void> {
  const kept = before?.leases ?? [];
  if (leases.length === 0 || kept.length >= LEASE_REQUEST_MAX_LEASES) return;
  const row = { leases: [...kept, ...leases].slice(0, LEASE_REQUEST_MAX_LEASES), givenUp: false };
  await ctx.tx.putLeaseRequest(volunteer, request, row, ctx.now + LEASE_REQUEST_KEPT_MS);
}

/**
 * Gives up the key's requests of these names: nothing more is granted under them, and the leases granted under
 * them so far are returned, for the release to give back (those still open).
 */
export async function giveUpRequests(
  ctx: StepContext,
  volunteer: VolunteerKey,
  requests: readonly string[],
): Promise<LeaseNumber[]> {
  await ctx.tx.lockVolunteer(volunteer);
  const leases: LeaseNumber[] = [];
  for (const request of new Set(requests)) {
    const row = await ctx.tx.leaseRequest(volunteer, request);
    if (row?.givenUp) continue;
    leases.push(...(row?.leases ?? []));
    const givenUp = { leases: row?.leases ?? [], givenUp: true };
    await ctx.tx.putLeaseRequest(volunteer, request, givenUp, ctx.now + LEASE_REQUEST_KEPT_MS);
  }
  return leases;
}
