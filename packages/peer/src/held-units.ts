// The work units volunteers hold, in the room's shared doc under their lease ids: leased and computing, or
// computed and waiting to be delivered (the coordinator may be unreachable). Each volunteer writes only its own
// entries and removes them once the coordinator has its result; entries of a holder gone from the room are swept.
// It is a view for people, never a reason to trust a result: the coordinator still validates every one.
import { HeldUnit } from '@bricolage/protocol/peer';
import type * as Y from 'yjs';

export interface HeldCounts {
  readonly computing: number;
  readonly computed: number;
}

export class HeldUnits {
  /** Holders seen missing at the last sweep: their entries go at the next one if they are still missing. */
  #missing = new Set<number>();
  /**
   * Each entry parsed once (the doc hands back the same object until it changes): the page counts them at every
   * change in the room, and any peer may write thousands (100,000 took 150 ms to parse, each time).
   */
  readonly #parsed = new WeakMap<object, HeldUnit | null>();

  constructor(
    private readonly map: Y.Map<unknown>,
    private readonly self: number,
    private readonly now: () => number,
  ) {}

  hold(lease: string, unit: { workUnit: string | null; job: string | null; state: HeldUnit['state'] }): void {
    const entry: HeldUnit = { ...unit, holder: this.self, at: this.now() };
    const before = HeldUnit.safeParse(this.map.get(lease));
    if (before.success && before.data.state === entry.state && before.data.holder === this.self) return;
    this.map.set(lease, entry);
  }

  release(lease: string): void {
    const before = HeldUnit.safeParse(this.map.get(lease));
    if (before.success && before.data.holder === this.self) this.map.delete(lease);
  }

  /** Counts per holder, of holders in `present` only. */
  counts(present: ReadonlySet<number>): { total: HeldCounts; byHolder: Map<number, HeldCounts> } {
    const byHolder = new Map<number, { computing: number; computed: number }>();
    const total = { computing: 0, computed: 0 };
    for (const value of this.map.values()) {
      const unit = this.#parse(value);
      if (!unit || !present.has(unit.holder)) continue;
      const counts = byHolder.get(unit.holder) ?? { computing: 0, computed: 0 };
      counts[unit.state]++;
      total[unit.state]++;
      byHolder.set(unit.holder, counts);
    }
    return { total, byHolder };
  }

  #parse(value: unknown): HeldUnit | null {
    if (typeof value !== 'object' || value === null) return null;
    let unit = this.#parsed.get(value);
    if (unit === undefined) {
      const parsed = HeldUnit.safeParse(value);
      unit = parsed.success ? parsed.data : null;
      this.#parsed.set(value, unit);
    }
    return unit;
  }

  /** Removes entries that do not parse, and those of holders missing from the room at two sweeps in a row. */
  sweep(present: ReadonlySet<number>): void {
    const missing = new Set<number>();
    for (const [lease, value] of this.map.entries()) {
      const unit = this.#parse(value);
      if (!unit) {
        this.map.delete(lease);
        continue;
      }
      const holder = unit.holder;
      if (present.has(holder)) continue;
      if (this.#missing.has(holder)) this.map.delete(lease);
      else missing.add(holder);
    }
    this.#missing = missing;
  }
}
