// Serves the public receipt log: signed tree heads, proofs, and receipts signed on first read.
// Ed25519 is deterministic, so signing a receipt when it is first served gives the same bytes as
// signing it at validation time; the log committed to its body when it was credited.
import {
  type ProvenReceipt,
  type ReceiptBody,
  type SignedTreeHead,
  type TreeHead,
  canonicalJson,
  toHex,
} from '@bricolage/protocol';
import type { Store, StoredReceipt } from '../store/store';
import type { CoordinatorKey } from './keys';

export class ReceiptLog {
  private head: SignedTreeHead | null = null;

  constructor(
    private readonly store: Store,
    private readonly key: CoordinatorKey,
  ) {}

  /**
   * The newest signed tree head; signed again only when the log has grown. Its time is when the log last
   * grew, as stored with it, so every coordinator of a grid signs the same bytes for the same log.
   */
  async treeHead(): Promise<SignedTreeHead> {
    const state = await this.store.logState();
    if (this.head?.head.size === state.size) return this.head;
    const head: TreeHead = { log: this.key.publicKey, size: state.size, root: toHex(state.root), at: state.at };
    this.head = { head, signature: this.key.sign('treeHead', canonicalJson(head)) };
    return this.head;
  }

  async inclusion(index: number, size: number): Promise<string[]> {
    return (await this.store.inclusionPath(index, size)).map(toHex);
  }

  async consistency(from: number, to: number): Promise<string[]> {
    return (await this.store.consistencyPath(from, to)).map(toHex);
  }

  /** Receipts with proofs against one tree head, so each is checkable offline on its own. */
  async prove(receipts: readonly StoredReceipt[]): Promise<ProvenReceipt[]> {
    const sth = await this.treeHead();
    const fresh = new Map<number, string>();
    const out: ProvenReceipt[] = [];
    for (const r of receipts) {
      let signature = r.signature;
      if (!signature) {
        signature = this.key.sign('receipt', r.bodyJson);
        fresh.set(r.index, signature);
      }
      out.push({
        receipt: { body: r.body as ReceiptBody, signature },
        proof: { index: r.index, size: sth.head.size, path: await this.inclusion(r.index, sth.head.size) },
        treeHead: sth,
      });
    }
    if (fresh.size > 0) await this.store.setReceiptSignatures(fresh);
    return out;
  }
}
