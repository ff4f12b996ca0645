// What the volunteer's status tells of delivery: results accepted and repeated, and those that will not be delivered
// with why. The set-aside ones are read from the outbox, which keeps them across reloads where it is durable: a page
// shows those an earlier page set aside too, and stops showing those put back into delivery.
import type { DroppedResult } from './events';
import type { Outbox, SetAsideEntry } from './outbox';

/** Results not delivered that the status lists, the most recent. */
const LISTED = 50;

export class DeliveryTally {
  accepted = 0;
  repeated = 0;
  /** Refused by the coordinator, or not stored (this page's: the outbox keeps neither). */
  #lost = 0;
  /** Set aside in the outbox, as last read or told. */
  #aside = 0;
  #listed: DroppedResult[] = [];

  get counts(): { accepted: number; repeated: number; dropped: number; setAside: number } {
    return {
      accepted: this.accepted,
      repeated: this.repeated,
      dropped: this.#lost + this.#aside,
      setAside: this.#aside,
    };
  }

  get dropped(): DroppedResult[] {
    return [...this.#listed];
  }

  lost(result: DroppedResult): void {
    this.#lost++;
    this.#list([result]);
  }

  setAside(lease: string, reason: SetAsideEntry['reason'], failures: number): void {
    this.#aside++;
    this.#list([asideResult(lease, reason, failures)]);
  }

  /** Reads which results the outbox holds set aside: at open (an earlier page's too), and after a retry. */
  async readAside(outbox: Outbox): Promise<void> {
    const entries = await outbox.setAsideEntries();
    this.#aside = entries.length;
    this.#listed = this.#listed.filter((d) => d.kind !== 'set-aside');
    this.#list(entries.map((e) => asideResult(e.id, e.reason, e.failures ?? 0)));
  }

  #list(results: readonly DroppedResult[]): void {
    this.#listed.push(...results);
    if (this.#listed.length > LISTED) this.#listed.splice(0, this.#listed.length - LISTED);
  }
}

const asideResult = (lease: string, reason: SetAsideEntry['reason'], failures: number): DroppedResult => ({
  lease,
  code: reason.code,
  message: `${reason.message} (failed ${failures} times; kept aside in this browser)`,
  kind: 'set-aside',
});
