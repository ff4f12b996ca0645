// The witness's part of the room: every head a peer announces in its presence goes to the log witness once, and
// a split view found becomes evidence in the shared doc, which every page checks for itself (two heads, each with
// the coordinator's signature): the pages that did not hear both heads see it too.
import type { SplitViewEvidence as Evidence } from '@bricolage/protocol/peer';
import { SplitViewEvidence } from '@bricolage/protocol/peer';
import type * as Y from 'yjs';
import type { PeerView } from './presence';
import type { LogWitness } from './witness';

export class HeadGossip {
  /** The signature of the head each peer announced last: a head is checked once, not at every awareness change. */
  readonly #heard = new Map<number, string>();

  constructor(
    private readonly witness: LogWitness,
    private readonly evidence: Y.Map<unknown>,
    /** Called when the alarms changed. */
    private readonly onAlarm: () => void,
  ) {
    evidence.observe((event) => {
      // Any peer may delete or overwrite what another put in the doc: evidence this page holds is put back, or a
      // peer (the coordinator's accomplice) could keep the pages that join after it from ever seeing the alarm.
      if (!event.transaction.local) this.#restore();
      // Only what this change wrote: all of it again at every change would let a peer that writes pieces one at
      // a time make this page check n² signatures.
      void this.#readEvidence([...event.keysChanged]);
    });
  }

  /** Checks the heads peers announce (their presence, parsed). */
  async heard(peers: readonly PeerView[]): Promise<void> {
    const before = this.witness.alarms().length;
    for (const peer of peers) {
      const head = peer.presence.head;
      if (peer.self || !head || this.#heard.get(peer.id) === head.signature) continue;
      this.#heard.set(peer.id, head.signature);
      if (this.#heard.size > 1024) this.#heard.clear();
      await this.witness.observe(head, peer.id);
    }
    if (this.witness.alarms().length !== before) this.share();
  }

  /** Puts each split view the witness found in the doc, as evidence for every page. */
  share(): void {
    this.#restore();
    this.onAlarm();
  }

  /** Writes each split view found that the doc does not hold as it was found (missing, or replaced by a peer). */
  #restore(): void {
    for (const alarm of this.witness.alarms()) {
      if (alarm.kind !== 'split-view') continue;
      const id = [alarm.a.head.root, alarm.b.head.root].sort().join(':');
      const held = SplitViewEvidence.safeParse(this.evidence.get(id));
      // Either order is the same evidence: two pages that found it each way must not rewrite each other's.
      const same =
        held.success &&
        [held.data.a.signature, held.data.b.signature].sort().join() ===
          [alarm.a.signature, alarm.b.signature].sort().join();
      if (!same) this.evidence.set(id, { a: alarm.a, b: alarm.b } satisfies Evidence);
    }
  }

  async #readEvidence(keys: readonly string[]): Promise<void> {
    const before = this.witness.alarms().length;
    for (const key of keys) {
      const parsed = SplitViewEvidence.safeParse(this.evidence.get(key));
      if (!parsed.success) continue;
      // Checked like any head: a forged piece of evidence fails its signature and is ignored.
      await this.witness.observe(parsed.data.a, 'evidence');
      await this.witness.observe(parsed.data.b, 'evidence');
    }
    if (this.witness.alarms().length !== before) this.onAlarm();
  }
}
