// The room's awareness (y-protocols), with what a peer could otherwise do to this tab held off. Awareness takes any
// client id's state and clock from any peer, the tab's own included, keeps the highest clock heard for each id, and
// keeps the clock of every id it ever heard of, forever, even of an id only ever said to be gone (no event at all).
import { Awareness } from 'y-protocols/awareness';
import type * as Y from 'yjs';

/** Clocks of ids with no state kept at most: past it they are forgotten (a room has tens of peers, not thousands). */
export const MAX_STATELESS_CLOCKS = 1024;
/**
 * How far another id's clock may move in one update. A tab adds one per state it sets: a rate at most every 2 s
 * (presence-publisher.ts), a renewal every 15 s (y-protocols), a blob or a head now and then, and one each when its
 * provider leaves and rejoins; an update missed (a link down) is caught up by the next. 64 is over 30 s of that at
 * one a second; a peer silent longer has its state timed out here, then its clock forgotten (STALE_CLOCK_MS), and
 * is taken at any clock.
 */
export const MAX_CLOCK_STEP = 64;
/**
 * A clock of an id with no state, not moved for this long, is forgotten: twice y-protocols' 30 s timeout, so that
 * y-webrtc relaying a state timed out here (it reads the clock) still finds it. A clock pinned ahead by a peer (up
 * to MAX_CLOCK_STEP, or under its owner's id before the owner was heard) holds its owner off this long after the
 * last such update, not for good.
 */
export const STALE_CLOCK_MS = 60_000;

type Meta = { clock: number; lastUpdated: number };

/**
 * An Awareness whose own entry only this tab writes (a peer's state under its id would be shown as "you" and
 * relayed as its own; a peer's clock of 2^53 - 1 would stick its clock at 2^53, where adding one changes nothing,
 * so that no later change of its presence reached any peer); whose other ids' clocks move at most MAX_CLOCK_STEP
 * at a time (a peer writing another's id at 2^52, with a state or as gone, would otherwise have every later state
 * of that peer ignored here, and relayed on, for good: its blobs, its signed tree head, its row); and whose clocks
 * of departed ids are forgotten after STALE_CLOCK_MS, or past MAX_STATELESS_CLOCKS. A clock forgotten lets a stale
 * update of that id show it again, until the usual 30-second timeout removes it.
 */
export class RoomAwareness extends Awareness {
  /** Set while this tab writes its own entry; any other write to it came from a peer. (Not a class field: the
   * base constructor writes the own entry before fields would be initialised.) */
  declare private writingOwn: boolean;

  constructor(doc: Y.Doc, maxStateless = MAX_STATELESS_CLOCKS) {
    super(doc);
    const own = () => this.writingOwn === true;
    const states = new OwnEntry<Record<string, unknown>>(this.clientID, own);
    for (const [id, state] of this.states) states.set(id, state, true);
    const meta = new Clocks(this.clientID, own, states, maxStateless);
    for (const [id, m] of this.meta) meta.set(id, m, true);
    this.states = states;
    this.meta = meta;
  }

  override setLocalState(state: Record<string, unknown> | null): void {
    this.writingOwn = true;
    try {
      super.setLocalState(state);
    } finally {
      this.writingOwn = false;
    }
  }
}

/**
 * The states: this tab's own is set only by this tab (removing it is y-webrtc's own doing, on leaving). The last
 * change of a state is kept until its clock is set, which may refuse it: y-protocols writes the state first.
 */
class OwnEntry<T> extends Map<number, T> {
  #last: { id: number; had: boolean; value: T | undefined } | null = null;

  constructor(
    private readonly self: number,
    private readonly own: () => boolean,
  ) {
    super();
  }

  override set(id: number, value: T, trusted = false): this {
    if (id === this.self && !trusted && !this.own()) return this;
    this.#last = { id, had: this.has(id), value: this.get(id) };
    return super.set(id, value);
  }

  override delete(id: number): boolean {
    this.#last = { id, had: this.has(id), value: this.get(id) };
    return super.delete(id);
  }

  /** Puts back `id`'s state as it was before its last change: the update that made it was refused. */
  undo(id: number): void {
    const last = this.#last;
    this.#last = null;
    if (last?.id !== id) return;
    if (last.had) super.set(id, last.value as T);
    else super.delete(id);
  }
}

/**
 * The clocks: this tab's own written only by it, or once its state is gone (y-webrtc removing it on leaving);
 * others' moved at most MAX_CLOCK_STEP at once (a bigger jump refused, its state put back); and those of ids with
 * no state forgotten once stale, or past a bound.
 */
class Clocks extends Map<number, Meta> {
  constructor(
    private readonly self: number,
    private readonly own: () => boolean,
    private readonly states: OwnEntry<unknown>,
    private readonly maxStateless: number,
  ) {
    super();
  }

  override get(id: number): Meta | undefined {
    const meta = super.get(id);
    // Read by y-protocols before each update of `id`: a stale clock is forgotten and read as 0, so the update is
    // taken at any clock (not undefined: an update being encoded reads it too).
    if (meta && id !== this.self && !this.states.has(id) && Date.now() - meta.lastUpdated >= STALE_CLOCK_MS) {
      this.delete(id);
      return { clock: 0, lastUpdated: meta.lastUpdated };
    }
    return meta;
  }

  override set(id: number, value: Meta, trusted = false): this {
    if (id === this.self && !trusted && !this.own() && this.states.has(id)) return this;
    const kept = super.get(id);
    if (id !== this.self && !trusted && kept && value.clock - kept.clock > MAX_CLOCK_STEP) {
      this.states.undo(id);
      return this;
    }
    const added = !this.has(id);
    super.set(id, value);
    // Forgetting them all at once, each time the bound is passed, costs O(1) per clock added.
    if (added && this.size - this.states.size > this.maxStateless)
      for (const key of this.keys()) if (key !== this.self && !this.states.has(key)) this.delete(key);
    return this;
  }
}
