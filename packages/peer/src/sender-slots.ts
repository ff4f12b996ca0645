// How many of a page's WebRTC connections one volunteer key may hold before they carry anything. y-webrtc opens
// a connection for every announce or offer from a peer id it has none with, and a peer id is whatever the sender
// writes: one signed-in key could fill every slot with offers it never completes, and the watchdog frees each
// only after seconds. The coordinator names each relay's sender by a tag of its key (SignalRelay.sender); here a
// sender may have at most `maxPendingPerSender` connections not yet established and `maxPerSender` in all (working
// ones too: a key that completes its connections could otherwise still take every slot), and a peer id belongs to
// the sender it names (`taggedPeerId`: each tab names itself under its own tag, own-peer-id.ts), so that no key can
// speak for another's, even before that other has spoken.
import { peerIdSender } from '@bricolage/protocol/peer';

/** A connection y-webrtc has now, as far as the count reads it. */
export interface SlotConn {
  /** It has carried data (synced, or heard from): a working connection, whoever opened it. */
  readonly established: boolean;
}

export type SlotVerdict = 'pass' | 'over_share' | 'not_theirs';

export interface SenderSlotsOptions {
  readonly maxPendingPerSender: number;
  /** Connections a sender may have in all, established or not: a volunteer's tabs, each a peer id. */
  readonly maxPerSender: number;
  now(): number;
  /**
   * How long a peer id let through counts as pending while y-webrtc has not yet made its connection (it decrypts
   * the message first), and how long one whose connection closed still counts, and stays its sender's (default 5 s).
   */
  readonly admitGraceMs?: number;
}

interface Owner {
  readonly sender: string;
  at: number;
}

export class SenderSlots {
  readonly #o: SenderSlotsOptions;
  readonly #owners = new Map<string, Owner>();
  #refused = { overShare: 0, notTheirs: 0 };

  constructor(options: SenderSlotsOptions) {
    this.#o = options;
  }

  /** Signaling messages not let through: past a sender's share, or speaking as a peer id another sender's tag names. */
  get refused(): Readonly<{ overShare: number; notTheirs: number }> {
    return { ...this.#refused };
  }

  /**
   * Whether a signaling message from `sender`, speaking as peer id `from`, may reach y-webrtc. `opens`: it would
   * make y-webrtc open a connection (y-webrtc has none with `from`); `conns`: the connections it has, by peer id.
   */
  admit(sender: string, from: string, opens: boolean, conns: ReadonlyMap<string, SlotConn>): SlotVerdict {
    const now = this.#o.now();
    this.#forget(now, conns);
    if (peerIdSender(from) !== sender) {
      this.#refused.notTheirs++;
      return 'not_theirs';
    }
    if (!opens) return 'pass';
    if (
      this.#count(sender, from, now, conns, true) >= this.#o.maxPendingPerSender ||
      this.#count(sender, from, now, conns, false) >= this.#o.maxPerSender
    ) {
      this.#refused.overShare++;
      return 'over_share';
    }
    this.#owners.set(from, { sender, at: now });
    return 'pass';
  }

  /** The sender whose message opened a connection with peer id `peer` (while it lasts), if any. */
  senderOf(peer: string): string | undefined {
    return this.#owners.get(peer)?.sender;
  }

  /**
   * The sender's connections (`pending`: only those not established), and those let through but not yet made,
   * other than `except`'s.
   */
  #count(sender: string, except: string, now: number, conns: ReadonlyMap<string, SlotConn>, pending: boolean): number {
    let count = 0;
    for (const [peer, owner] of this.#owners) {
      if (owner.sender !== sender || peer === except) continue;
      const conn = conns.get(peer);
      if (conn ? !(pending && conn.established) : now - owner.at < this.#grace) count++;
    }
    return count;
  }

  /** Peer ids with no connection past the grace: the sender's no longer (peer ids are random, never reused). */
  #forget(now: number, conns: ReadonlyMap<string, SlotConn>): void {
    for (const [peer, owner] of this.#owners)
      if (conns.has(peer)) owner.at = now;
      else if (now - owner.at >= this.#grace) this.#owners.delete(peer);
  }

  get #grace(): number {
    return this.#o.admitGraceMs ?? 5000;
  }
}
