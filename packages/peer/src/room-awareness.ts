// The room's awareness (y-protocols), with two things a peer could otherwise do to this tab held off. Awareness
// takes any client id's state and clock from any peer, the tab's own included, and keeps the clock of every id it
// ever heard of, forever, even of an id only ever said to be gone (which raises no event at all).
import { Awareness } from 'y-protocols/awareness';
import type * as Y from 'yjs';

/** Clocks of ids with no state kept at most: past it they are forgotten (a room has tens of peers, not thousands). */
export const MAX_STATELESS_CLOCKS = 1024;

type Meta = { clock: number; lastUpdated: number };

/**
 * An Awareness whose own entry only this tab writes (a peer's state under its id would be shown as "you" and
 * relayed as its own; a peer's clock of 2^53 - 1 would stick its clock at 2^53, where adding one changes nothing,
 * so that no later change of its presence reached any peer), and
 * whose clocks of departed ids are forgotten past MAX_STATELESS_CLOCKS. A clock forgotten lets a stale update of
 * that id show it again, until the usual 30-second timeout removes it.
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

/** The states: this tab's own is set only by this tab (removing it is y-webrtc's own doing, on leaving). */
class OwnEntry<T> extends Map<number, T> {
  constructor(
    private readonly self: number,
    private readonly own: () => boolean,
  ) {
    super();
  }

  override set(id: number, value: T, trusted = false): this {
    if (id === this.self && !trusted && !this.own()) return this;
    return super.set(id, value);
  }
}

/**
 * The clocks: this tab's own written only by it, or once its state is gone (y-webrtc removing it on leaving); and
 * those of ids with no state forgotten past a bound.
 */
class Clocks extends Map<number, Meta> {
  constructor(
    private readonly self: number,
    private readonly own: () => boolean,
    private readonly states: ReadonlyMap<number, unknown>,
    private readonly maxStateless: number,
  ) {
    super();
  }

  override set(id: number, value: Meta, trusted = false): this {
    if (id === this.self && !trusted && !this.own() && this.states.has(id)) return this;
    const added = !this.has(id);
    super.set(id, value);
    // Forgetting them all at once, each time the bound is passed, costs O(1) per clock added.
    if (added && this.size - this.states.size > this.maxStateless)
      for (const key of this.keys()) if (key !== this.self && !this.states.has(key)) this.delete(key);
    return this;
  }
}
