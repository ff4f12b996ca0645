// Keeping the leases a page holds: renewing each once past half its life, and marking those the coordinator no
// longer holds for us as gone. Every few seconds the heartbeat also names the jobs the page holds units of, and the
// coordinator ends and names the key's leases of any the grid withdrew whole (a cancelled job's): without asking, a
// page learned of it only at a lease's half-life (5 minutes into a default 10-minute lease), computing units nobody
// wants meanwhile. Asking costs one small request per check; the coordinator pushes nothing to pages.
import { MAX_HEARTBEAT_JOBS } from '@bricolage/protocol';
import type { VolunteerEvent } from '../events';
import type { LeaseClient, LeaseClock, Work } from './lease-queue';

/** How often a page holding units asks whether their jobs were withdrawn: "within seconds" of a cancel. */
export const JOB_CHECK_MS = 10_000;

/** The coordinator takes at most 1000 leases per heartbeat. */
const HEARTBEAT_LEASES = 1000;

export interface LeaseRenewalOptions {
  readonly client: Pick<LeaseClient, 'heartbeat'>;
  readonly clock: LeaseClock;
  readonly emit: (event: VolunteerEvent) => void;
  /** How often the jobs of the units held are asked about (default JOB_CHECK_MS). */
  readonly jobCheckMs?: number;
}

export class LeaseRenewal {
  readonly #o: LeaseRenewalOptions;
  /** When the jobs were last asked about (monotonic ms); they are asked about at the first check. */
  #jobsAskedAt = Number.NEGATIVE_INFINITY;

  constructor(options: LeaseRenewalOptions) {
    this.#o = options;
  }

  /**
   * Renews those of `held` past half their life, asks about their jobs when that is due, and marks those the
   * coordinator no longer holds for us as gone. Returns the units it marked gone.
   */
  async renew(held: Iterable<Work>): Promise<Work[]> {
    const now = this.#o.clock.now();
    const live = [...held].filter((w) => !w.gone);
    const due = live.filter((w) => now > w.leasedAt + (w.deadline - w.leasedAt) / 2);
    const ask =
      live.length > 0 && this.#o.clock.monotonic() - this.#jobsAskedAt >= (this.#o.jobCheckMs ?? JOB_CHECK_MS);
    if (due.length === 0 && !ask) return [];
    const gone: Work[] = [];
    const byLease = new Map(live.map((w) => [w.lease.lease as string, w]));
    const end = (work: Work | undefined, why: string) => {
      if (!work || work.gone) return;
      work.gone = why;
      gone.push(work);
    };
    for (let i = 0; i === 0 || i < due.length; i += HEARTBEAT_LEASES) {
      const batch = due.slice(i, i + HEARTBEAT_LEASES);
      // With the first batch only: one question per check.
      const jobs = ask && i === 0 ? [...new Set(live.map((w) => w.job.id as string))].slice(0, MAX_HEARTBEAT_JOBS) : [];
      // Not asked again before the next period even if this fails (a coordinator that refuses the question).
      if (jobs.length > 0) this.#jobsAskedAt = this.#o.clock.monotonic();
      const answer = await this.#o.client.heartbeat(
        batch.map((w) => w.lease.lease),
        jobs.length > 0 ? jobs : undefined,
      );
      if (!answer.ok) {
        this.#o.emit({ type: 'warning', message: `heartbeat failed: ${answer.error.message}` });
        return gone;
      }
      const rows = new Map(answer.value.leases.map((r) => [r.lease as string, r]));
      for (const work of batch) {
        const row = rows.get(work.lease.lease);
        if (row?.deadline != null) {
          work.leasedAt = now;
          work.deadline = row.deadline;
        } else if (row) end(work, `the coordinator reports the lease as ${row.state}`);
      }
      for (const lease of answer.value.withdrawn ?? [])
        end(byLease.get(lease), 'the coordinator reports the lease as withdrawn with its job');
    }
    return gone;
  }
}
