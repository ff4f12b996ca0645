// The volunteers that asked for work lately, with the capabilities they reported: kept in memory (a
// restart forgets them, and they come back with their next lease request), so that a job that cannot
// progress can say whether anyone online could run it.
import type { Capabilities } from '@bricolage/protocol';

export interface SeenVolunteer {
  readonly key: string;
  readonly capabilities: Capabilities;
  /** The project the volunteer asked work from, when it asked for one only. */
  readonly project: string | null;
  readonly seenAt: number;
}

export class RecentVolunteers {
  /** Oldest sighting first: a Map keeps insertion order, and a new sighting re-inserts. */
  readonly #seen = new Map<string, SeenVolunteer>();

  constructor(
    /** How long a volunteer counts as online after its last lease request. */
    readonly windowMs = 5 * 60_000,
    /** At most this many are remembered; the longest unseen go first. */
    readonly max = 10_000,
  ) {}

  seen(key: string, capabilities: Capabilities, project: string | null, now: number): void {
    this.#seen.delete(key);
    this.#seen.set(key, { key, capabilities, project, seenAt: now });
    for (const oldest of this.#seen.keys()) {
      if (this.#seen.size <= this.max) break;
      this.#seen.delete(oldest);
    }
  }

  /** Those seen within the window, most recent last; forgets the rest. */
  online(now: number): SeenVolunteer[] {
    for (const [key, v] of this.#seen) {
      if (v.seenAt >= now - this.windowMs) break;
      this.#seen.delete(key);
    }
    return [...this.#seen.values()];
  }
}
