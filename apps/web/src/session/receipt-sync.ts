// Receipts: fetched from the coordinator as results validate and kept only once they verify; listed, totalled,
// re-verified against the log's current tree head, exported as a file and imported from one.
import type { VolunteerStore } from '@bricolage/receipts';
import { type AuditReport, auditReceipts, exportReceipts, readReceiptsFile } from '@bricolage/receipts';
import type { Volunteer } from '@bricolage/runtime';
import type { PublicApi } from '../api';
import { readPicked } from './picked-file';
import { fetchNewReceipts } from './receipt-pages';
import { pausedOnBattery, RECEIPTS_SHOWN, type ViewModel } from './view';

/** How often receipts are fetched while they may come: the tab computing, or results of it pending. */
export const SYNC_MS = 15_000;
/**
 * After a Stop, results sent before it may still wait for a second volunteer to agree, and their receipts come only
 * then: the tab goes on fetching them while the coordinator counts some pending, for this long after it last computed.
 */
export const AFTER_STOP_MS = 10 * 60_000;

export interface ReceiptSyncOptions {
  readonly model: ViewModel;
  readonly store: VolunteerStore;
  readonly api: PublicApi;
  /**
   * The volunteer whose receipts these are (the runtime's client signs the request), or null when it may not
   * sign in now (a widget whose reader withdrew: nothing is asked of the coordinator in its name).
   */
  readonly volunteer: () => Promise<Volunteer | null>;
}

export class ReceiptSync {
  readonly #o: ReceiptSyncOptions;
  #syncing: Promise<void> | null = null;
  #syncSoon: ReturnType<typeof setTimeout> | null = null;
  #counting: Promise<void> | null = null;
  #periodic: ReturnType<typeof setInterval> | null = null;
  /** When the tab was last seen started (Date.now()); never, before. */
  #activeAt = Number.NEGATIVE_INFINITY;

  constructor(options: ReceiptSyncOptions) {
    this.#o = options;
    // For as long as the model: the page's, or the widget frame's, which this sync lives and ends with.
    options.model.subscribe(() => {
      if (options.model.view().active) this.#activeAt = Date.now();
    });
  }

  /** Receipts arrive when results validate, which may be long after they were sent (a quorum of two). */
  syncPeriodically(): void {
    this.#periodic ??= setInterval(() => {
      const view = this.#o.model.view();
      const awaited = view.stats?.pending && Date.now() - this.#activeAt < AFTER_STOP_MS;
      // On battery the tab does nothing of its own accord: a sync (pages of proofs to verify) waits for the charger.
      if ((view.active || awaited) && view.reachable && !pausedOnBattery(view)) this.schedule(0);
    }, SYNC_MS);
  }

  /** Fetches new receipts from the coordinator; each is stored only once it verifies. */
  sync(): Promise<void> {
    this.#syncing ??= this.#sync().finally(() => {
      this.#syncing = null;
    });
    return this.#syncing;
  }

  /** A sync that starts from now: one under way may have asked before what is wanted (a moved credit) was logged. */
  async syncFromNow(): Promise<void> {
    await this.#syncing;
    await this.sync();
  }

  async #sync(): Promise<void> {
    const { model, store } = this.#o;
    const key = model.view().coordinatorKey;
    if (!key || !model.view().identity) return;
    const volunteer = await this.#o.volunteer();
    if (!volunteer) return;
    // A sync takes minutes on a busy machine, and a widget's reader may withdraw meanwhile: from then on nothing
    // more is asked in the volunteer's name (the next page, the counters).
    const mayAsk = async () => (await this.#o.volunteer()) === volunteer;
    // After each page kept, the counters and then the list and totals: the count climbs as the receipts verify,
    // and the wallet, which compares the coordinator's figures with those of the entries, never shows entries
    // newer than the figures.
    const { rejected, more } = await fetchNewReceipts(
      volunteer,
      store,
      key,
      async () => {
        if (await mayAsk()) await this.#readStats(volunteer);
        await this.refresh();
      },
      mayAsk,
    );
    if (rejected.length > 0)
      model.notify(
        'error',
        `The coordinator sent ${rejected.length} receipt(s) that do not verify; they were not kept`,
        rejected.slice(0, 5).map((r) => `${r.workUnit ?? `#${r.position}`}: ${r.message}`),
      );
    // The counters once the entries are stored: the wallet compares the two, which must be as new.
    if (!(await mayAsk())) return;
    await this.#readStats(volunteer);
    if (more) this.schedule(0);
  }

  /**
   * The coordinator's counters alone, one request at a time. A sync stores each new receipt only once it has
   * verified it, which on a busy machine takes minutes for the thousands a quick job earns: the page's
   * Validated count, read at the sync's end, stood still that long while the count rose by thousands.
   */
  counters(): Promise<void> {
    this.#counting ??= this.#counters().finally(() => {
      this.#counting = null;
    });
    return this.#counting;
  }

  async #counters(): Promise<void> {
    const { model } = this.#o;
    if (!model.view().coordinatorKey || !model.view().identity) return;
    const volunteer = await this.#o.volunteer();
    if (volunteer) await this.#readStats(volunteer);
  }

  async #readStats(volunteer: Volunteer): Promise<void> {
    const stats = await volunteer.stats();
    if (stats.ok) this.#o.model.set({ stats: stats.value });
  }

  /** Syncs within `delayMs`; a sync already due sooner is kept, so a stream of submissions cannot starve it. */
  readonly schedule = (delayMs: number): void => {
    if (this.#syncSoon && delayMs > 0) return;
    if (this.#syncSoon) clearTimeout(this.#syncSoon);
    this.#syncSoon = setTimeout(() => {
      this.#syncSoon = null;
      this.counters().catch((error: Error) => console.warn('reading the counters failed', error));
      // From now: a sync under way may have asked before the receipts this one is for were logged (the results a
      // Stop delivered, after which no periodic sync follows), so it would not find them.
      this.syncFromNow().catch((error: Error) => console.warn('receipt sync failed', error));
    }, delayMs);
  };

  /** Reads the newest receipts and the totals back from the store into the view. */
  async refresh(): Promise<void> {
    const { model, store } = this.#o;
    if (store.closed) return;
    const [receipts, totals] = await Promise.all([store.recentReceipts(model.view().receiptsShown), store.totals()]);
    model.set({ receipts, totals });
  }

  /** Lists the newest `count` receipts (at least RECEIPTS_SHOWN). */
  async show(count: number): Promise<void> {
    this.#o.model.set({ receiptsShown: Math.max(RECEIPTS_SHOWN, Math.round(count)) });
    await this.refresh();
  }

  /** Re-checks every kept receipt against the coordinator's key and the log's current signed tree head. */
  async verifyAll(): Promise<AuditReport | null> {
    const { model, store } = this.#o;
    const key = model.view().coordinatorKey;
    if (!key) {
      model.notify('error', 'Cannot verify yet', [
        'The coordinator’s public key is not known: it has never been reachable from this browser.',
      ]);
      return null;
    }
    model.set({ busy: { ...model.view().busy, verifying: true } });
    try {
      if (model.view().reachable && model.view().identity) await this.sync();
      const records = await store.receipts();
      const report = await auditReceipts(records, key, model.view().reachable ? this.#o.api : null);
      await store.recordChecks(report.verdicts);
      await this.refresh();
      model.set({ audit: report });
      const where =
        report.against === 'current'
          ? `against the log’s current tree head (size ${report.treeSize})`
          : 'against the tree heads stored with them';
      if (report.failed.length === 0)
        model.notify('success', `All ${report.checked} receipts verified`, [
          `Coordinator signatures and Merkle inclusion proofs checked ${where}.`,
          ...(report.note ? [report.note] : []),
        ]);
      else
        model.notify('error', `${report.failed.length} of ${report.checked} receipts failed verification`, [
          ...report.failed.slice(0, 5).map((f) => `${f.workUnit}: ${f.message}`),
          ...(report.note ? [report.note] : []),
        ]);
      return report;
    } finally {
      model.set({ busy: { ...model.view().busy, verifying: false } });
    }
  }

  /** The receipts file: every receipt of this identity with its proof and signed tree head. */
  async exportFile(): Promise<{ name: string; text: string } | null> {
    const { identity, coordinatorKey } = this.#o.model.view();
    if (!identity || !coordinatorKey) return null;
    const file = exportReceipts(await this.#o.store.receipts(), coordinatorKey, identity.publicKey);
    const day = new Date().toISOString().slice(0, 10);
    return {
      name: `bricolage-receipts-${identity.fingerprint.replace(/ /g, '')}-${day}.json`,
      text: `${JSON.stringify(file, null, 1)}\n`,
    };
  }

  /**
   * Keeps the receipts of a file that verify and credit this identity, or, when the file carries its holder's
   * signature, the key that signed it (receipts the widget earned on some site with a key of its own).
   */
  async importFile(file: Blob, fileName: string): Promise<void> {
    const { model, store } = this.#o;
    const { identity, coordinatorKey } = model.view();
    if (!coordinatorKey) {
      model.notify('error', `Nothing imported from ${fileName}`, [
        'The coordinator’s public key is not known yet, so nothing can be verified.',
      ]);
      return;
    }
    model.set({ busy: { ...model.view().busy, importing: true } });
    try {
      const picked = await readPicked(file);
      if (!picked.ok) {
        model.notify('error', `Nothing imported from ${fileName}`, [picked.message]);
        return;
      }
      const parsed = await readReceiptsFile(picked.text);
      if (!parsed.ok) {
        model.notify('error', `Nothing imported from ${fileName}`, [parsed.error.message]);
        return;
      }
      const { heldBy } = parsed.value;
      const owner = heldBy ?? identity?.publicKey;
      if (!owner) {
        model.notify('error', `Nothing imported from ${fileName}`, [
          'There is no volunteer key in this browser yet: restore your key backup first (or press Start to create a key).',
        ]);
        return;
      }
      const outcome = await store.addReceipts(parsed.value.receipts, coordinatorKey, owner);
      await this.refresh();
      const summary = `${outcome.added} added, ${outcome.alreadyHere} already here, ${outcome.rejected.length} rejected`;
      const whose =
        heldBy && heldBy !== identity?.publicKey
          ? [`They were earned with another key of yours (${heldBy.slice(0, 12)}…), which signed the file.`]
          : [];
      if (outcome.rejected.length === 0) model.notify('success', `Imported ${fileName}`, [summary, ...whose]);
      else
        model.notify('error', `Imported ${fileName} with ${outcome.rejected.length} rejected receipt(s)`, [
          summary,
          ...whose,
          ...outcome.rejected
            .slice(0, 8)
            .map((r) => `Rejected entry ${r.position + 1}${r.workUnit ? ` (${r.workUnit})` : ''}: ${r.message}`),
          ...(parsed.value.log && parsed.value.log !== coordinatorKey
            ? [`The file says its receipts come from another coordinator (key ${parsed.value.log.slice(0, 12)}…).`]
            : []),
        ]);
    } finally {
      model.set({ busy: { ...model.view().busy, importing: false } });
    }
  }

  close(): void {
    if (this.#syncSoon) clearTimeout(this.#syncSoon);
    if (this.#periodic) clearInterval(this.#periodic);
  }
}
