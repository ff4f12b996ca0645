// Volunteers witness the receipt log, as Certificate Transparency's gossip does, with no chain: every signed tree
// head a volunteer sees (its own, and those its peers announce) is checked against the others. Two heads of the
// same size must have the same root; of different sizes, the coordinator must prove the larger extends the
// smaller. A coordinator that shows different logs to different volunteers (a split view) cannot pass both.
import { type Result, type SignedTreeHead, toHex, verifyConsistentHeads, verifyTreeHead } from '@bricolage/protocol';

/** Where a head came from: this volunteer's own reads, a peer (its awareness client id), or shared evidence. */
export type HeadSource = 'self' | 'evidence' | number;

export type WitnessAlarm =
  /** Two heads the coordinator signed with the same size and different roots: a proof anyone can check. */
  | { readonly kind: 'split-view'; readonly a: SignedTreeHead; readonly b: SignedTreeHead }
  /** The coordinator could not prove that the larger log extends the smaller one. */
  | {
      readonly kind: 'inconsistent';
      readonly older: SignedTreeHead;
      readonly newer: SignedTreeHead;
      readonly message: string;
    };

export interface WitnessStats {
  /** Distinct heads held. */
  readonly heads: number;
  /** Heads heard from a peer that matched a head of the same size already held. */
  readonly agreements: number;
  /** Consistency proofs that verified. */
  readonly consistencyChecks: number;
  /** Heads that were malformed, of another log, or badly signed: ignored. */
  readonly invalid: number;
  /** Pairs still to check, because the coordinator could not be asked. */
  readonly pending: number;
}

export interface WitnessOptions {
  /** The coordinator's public key, as this volunteer trusts it. */
  readonly publicKey: string;
  /** A consistency proof from the coordinator; throws when it cannot be had (unreachable). */
  consistency(from: number, to: number): Promise<unknown>;
  /** Heads held at most (the oldest go first, never one that is part of an alarm). */
  readonly maxHeads?: number;
}

interface Entry {
  readonly sth: SignedTreeHead;
  readonly sources: Set<HeadSource>;
}

const key = (sth: SignedTreeHead) => `${sth.head.size}:${sth.head.root}`;

export class LogWitness {
  readonly #o: WitnessOptions;
  /** Sorted by size; more than one entry of a size only in a split view. */
  #entries: Entry[] = [];
  readonly #alarms = new Map<string, WitnessAlarm>();
  readonly #pending = new Map<string, [SignedTreeHead, SignedTreeHead]>();
  readonly #checked = new Set<string>();
  #newestOwn: SignedTreeHead | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #stats = { agreements: 0, consistencyChecks: 0, invalid: 0 };

  constructor(options: WitnessOptions) {
    this.#o = options;
  }

  /** Checks a head (anything; it is parsed and its signature verified first) against every head held. */
  observe(sth: unknown, source: HeadSource): Promise<void> {
    const next = this.#queue.then(() => this.#observe(sth, source));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Retries the consistency checks the coordinator could not be asked for (it is back). */
  recheck(): Promise<void> {
    const next = this.#queue.then(async () => {
      for (const [id, [older, newer]] of [...this.#pending]) {
        this.#pending.delete(id);
        await this.#consistent(older, newer);
      }
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  alarms(): WitnessAlarm[] {
    return [...this.#alarms.values()];
  }

  /** The newest head this volunteer read itself: what it announces to its peers. */
  newestOwn(): SignedTreeHead | null {
    return this.#newestOwn;
  }

  stats(): WitnessStats {
    return { ...this.#stats, heads: this.#entries.length, pending: this.#pending.size };
  }

  async #observe(raw: unknown, source: HeadSource): Promise<void> {
    const verified = await verifyTreeHead(raw, this.#o.publicKey);
    if (!verified.ok) {
      this.#stats.invalid++;
      return;
    }
    const sth = raw as SignedTreeHead;
    const clean: SignedTreeHead = { head: verified.value, signature: sth.signature };
    if (source === 'self' && (this.#newestOwn === null || clean.head.size >= this.#newestOwn.head.size))
      this.#newestOwn = clean;
    const same = this.#entries.filter((e) => e.sth.head.size === clean.head.size);
    const known = same.find((e) => e.sth.head.root === clean.head.root);
    if (known) {
      if (!known.sources.has(source) && source !== 'self') this.#stats.agreements++;
      known.sources.add(source);
      return;
    }
    const entry: Entry = { sth: clean, sources: new Set([source]) };
    const at = this.#entries.findIndex((e) => e.sth.head.size > clean.head.size);
    this.#entries.splice(at < 0 ? this.#entries.length : at, 0, entry);
    for (const other of same) this.#raise({ kind: 'split-view', a: other.sth, b: clean });
    if (same.length === 0) {
      // Consistency is transitive along sizes: checking the nearest smaller and larger heads is enough.
      const index = this.#entries.indexOf(entry);
      const older = this.#entries[index - 1];
      const newer = this.#entries[index + 1];
      if (older) await this.#consistent(older.sth, clean);
      if (newer) await this.#consistent(clean, newer.sth);
    }
    this.#prune();
  }

  async #consistent(older: SignedTreeHead, newer: SignedTreeHead): Promise<void> {
    const id = `${key(older)}>${key(newer)}`;
    if (this.#checked.has(id)) return;
    let result: Result<true>;
    if (older.head.size === 0) {
      // Every log extends the empty one, and there is no proof to ask for (RFC 9162 defines none; the coordinator
      // refuses from=0): an empty head is consistent with anything if its root is the empty tree's.
      result =
        older.head.root === (await emptyRoot())
          ? { ok: true, value: true }
          : {
              ok: false,
              error: { code: 'bad_request', message: 'an empty tree head whose root is not the empty tree' },
            };
    } else {
      let proof: unknown;
      try {
        proof = await this.#o.consistency(older.head.size, newer.head.size);
      } catch (error) {
        // The coordinator is unreachable (or refused): check again when it is back.
        void error;
        this.#pending.set(id, [older, newer]);
        return;
      }
      result = await verifyConsistentHeads(older, newer, proof, this.#o.publicKey);
    }
    // Only a cache of work done: forgetting it costs a proof fetched again.
    if (this.#checked.size > 10_000) this.#checked.clear();
    this.#checked.add(id);
    if (result.ok) this.#stats.consistencyChecks++;
    else this.#raise({ kind: 'inconsistent', older, newer, message: result.error.message });
  }

  #raise(alarm: WitnessAlarm): void {
    const id =
      alarm.kind === 'split-view'
        ? [key(alarm.a), key(alarm.b)].sort().join('|')
        : `${key(alarm.older)}>${key(alarm.newer)}`;
    if (!this.#alarms.has(id)) this.#alarms.set(id, alarm);
  }

  #prune(): void {
    const max = this.#o.maxHeads ?? 256;
    const inAlarm = new Set<string>();
    for (const a of this.#alarms.values())
      for (const h of a.kind === 'split-view' ? [a.a, a.b] : [a.older, a.newer]) inAlarm.add(key(h));
    while (this.#entries.length > max) {
      const victim = this.#entries.findIndex((e) => !inAlarm.has(key(e.sth)));
      if (victim < 0) return;
      this.#entries.splice(victim, 1);
    }
  }
}

/** The root of the empty tree: SHA-256 of nothing, in hex. */
async function emptyRoot(): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(0))));
}
