// The volunteers heard from lately (a lease request, a submit, a heartbeat), with the capabilities their last lease
// request reported: kept in memory (a restart forgets them, and they come back with their next lease request), so
// that a job that cannot progress can say whether anyone online could run it. A tab computing a lease of many
// units asks for no work for minutes, but it heartbeats every 10 s while it holds units (packages/runtime
// lease-renewal.ts) and submits as it goes: those count, so a busy tab is online, and a tab closed drops out within
// the window, not five minutes later.
import type { Capabilities, HeldBack } from '@bricolage/protocol';

/**
 * Why its last lease request got nothing whatever the jobs: the key itself may not lease (steps/lease.ts), as its
 * lease answer said (`heldBack`). Such a key is online but runs nothing, so a job's diagnosis does not count it as
 * able to.
 */
export type ShutOut = HeldBack;

export interface SeenVolunteer {
  readonly key: string;
  readonly capabilities: Capabilities;
  /** The project the volunteer asked work from, when it asked for one only. */
  readonly project: string | null;
  readonly seenAt: number;
  /** Set while its own standing keeps it from leasing; null otherwise. */
  readonly shutOut: ShutOut | null;
}

export class RecentVolunteers {
  /** Oldest sighting first: a Map keeps insertion order, and a new sighting re-inserts. */
  readonly #seen = new Map<string, SeenVolunteer>();

  constructor(
    /**
     * How long a volunteer counts as online after it was last heard from: a working tab is heard from every 10 s
     * at least, a tab with no work asks again within 10 s, one backing off from errors within 30 s.
     */
    readonly windowMs = 2 * 60_000,
    /** At most this many are remembered; the longest unseen go first. */
    readonly max = 10_000,
  ) {}

  seen(key: string, capabilities: Capabilities, project: string | null, now: number): void {
    // What its last answer said of its standing holds until this request's answer says again (`standing`).
    const shutOut = this.#seen.get(key)?.shutOut ?? null;
    this.#seen.delete(key);
    this.#seen.set(key, { key, capabilities, project, seenAt: now, shutOut });
    for (const oldest of this.#seen.keys()) {
      if (this.#seen.size <= this.max) break;
      this.#seen.delete(oldest);
    }
  }

  /**
   * The key was heard from otherwise than by a lease request (a submit, a heartbeat): still online, with the
   * capabilities it last reported. A key not seen asking for work is not added: its capabilities are unknown.
   */
  heard(key: string, now: number): void {
    const v = this.#seen.get(key);
    if (!v) return;
    this.#seen.delete(key);
    this.#seen.set(key, { ...v, seenAt: now });
  }

  /** What the answer to its lease request said of the key's own standing: shut out, or not (null). */
  standing(key: string, shutOut: ShutOut | null): void {
    const v = this.#seen.get(key);
    if (v) this.#seen.set(key, { ...v, shutOut });
  }

  /** Those seen within the window, most recent last (an error shut-out that has ended, ended); forgets the rest. */
  online(now: number): SeenVolunteer[] {
    for (const [key, v] of this.#seen) {
      if (v.seenAt >= now - this.windowMs) break;
      this.#seen.delete(key);
    }
    return [...this.#seen.values()].map((v) =>
      v.shutOut?.why === 'errors' && v.shutOut.until <= now ? { ...v, shutOut: null } : v,
    );
  }
}
