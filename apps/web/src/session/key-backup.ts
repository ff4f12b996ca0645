// Key backup and restore: the identity and its receipts in one passphrase-encrypted file, and that file
// made this browser's identity again (the volunteer bound to the old key is retired first).
import { createKeyBackup, fingerprint, restoreKeyBackup, type VolunteerStore } from '@bricolage/receipts';
import type { Computing } from './computing';
import { readPicked } from './picked-file';
import type { ReceiptSync } from './receipt-sync';
import { identityView, type ViewModel } from './view';

export interface KeyBackupOptions {
  readonly model: ViewModel;
  readonly store: VolunteerStore;
  readonly computing: Computing;
  readonly receipts: ReceiptSync;
  /** The other grids' volunteers, bound to the key too (several grids), and those whose outboxes hold results. */
  readonly grids?: { retire(keepKey: string): Promise<void>; waiting(): Promise<readonly string[]> };
}

export class KeyBackup {
  readonly #o: KeyBackupOptions;

  constructor(options: KeyBackupOptions) {
    this.#o = options;
  }

  async backup(passphrase: string): Promise<{ name: string; text: string } | null> {
    const { model, store } = this.#o;
    const identity = await store.identity();
    if (!identity) {
      model.notify('error', 'No key to back up', ['A key is created when you first press Start.']);
      return null;
    }
    model.set({ busy: { ...model.view().busy, backup: true } });
    try {
      const held = await store.receipts();
      const receipts = held.filter((r) => r.volunteer === identity.publicKey).map((r) => r.proven);
      // Receipts imported from a file another key of the volunteer's signed (a widget's): only that key can vouch for
      // them in a file, so they are not in the backup, and the volunteer is told to keep that file.
      const others = held.length - receipts.length;
      const backup = await createKeyBackup(identity, passphrase, receipts);
      if (!backup.ok) {
        model.notify('error', 'No backup made', [backup.error.message]);
        return null;
      }
      const fp = (await fingerprint(identity.publicKey)).replace(/ /g, '');
      model.notify('success', 'Key backup ready', [
        `It holds your key and ${receipts.length} receipt(s), encrypted with your passphrase. Keep the file and the passphrase apart.`,
        ...(others > 0
          ? [
              `${others} receipt(s) earned with another key of yours (imported from a file it signed, a widget's) are not in it: keep that file too.`,
            ]
          : []),
      ]);
      return { name: `bricolage-key-${fp}.json`, text: `${JSON.stringify(backup.value, null, 1)}\n` };
    } finally {
      model.set({ busy: { ...model.view().busy, backup: false } });
    }
  }

  async restore(file: Blob, passphrase: string): Promise<boolean> {
    const { model, store, computing, receipts, grids } = this.#o;
    if (this.#computing()) return false;
    if (!model.view().coordinatorKey) {
      // The backup's receipts are kept only once they verify against the coordinator's key, and this browser has none
      // yet (its data cleared, the coordinator not reached since): restored now, they would be lost.
      model.notify('error', 'Key not restored', [
        'Its receipts are kept only once checked against the coordinator’s key, not known here until it answers. Nothing changed: try again once it is reachable.',
      ]);
      return false;
    }
    model.set({ busy: { ...model.view().busy, restoring: true } });
    try {
      const picked = await readPicked(file);
      if (!picked.ok) {
        model.notify('error', 'Key not restored', [picked.message]);
        return false;
      }
      const restored = await restoreKeyBackup(picked.text, passphrase);
      if (!restored.ok) {
        model.notify('error', 'Key not restored', [restored.error.message]);
        return false;
      }
      const { identity } = restored.value;
      // Asked again now that the file is open (a Start may have been pressed while it was decrypted), right before the
      // key is replaced: the same key may always be restored.
      if ((await store.identity())?.publicKey !== identity.publicKey && (this.#computing() || (await this.#waiting())))
        return false;
      // The old volunteer is bound to the old key: retire it (its outbox stays and is still delivered).
      await Promise.all([computing.retire(identity.publicKey), grids?.retire(identity.publicKey)]);
      await store.replaceIdentity(identity);
      model.set({ identity: await identityView(identity) });
      const added = await store.addReceipts(
        restored.value.receipts,
        model.view().coordinatorKey as string,
        identity.publicKey,
      );
      await receipts.refresh();
      model.notify('success', `Key ${model.view().identity?.fingerprint} restored`, [
        `${added.added} receipt(s) restored from the backup${added.rejected.length ? `, ${added.rejected.length} did not verify and were left out` : ''}.`,
      ]);
      if (model.view().reachable) receipts.schedule(0);
      return true;
    } finally {
      model.set({ busy: { ...model.view().busy, restoring: false } });
    }
  }

  /** The tab computes with the key here: it cannot be replaced (said). */
  #computing(): boolean {
    if (
      !['starting', 'running', 'waiting', 'paused', 'pausing', 'stopping'].includes(this.#o.model.view().runtimeState)
    )
      return false;
    this.#o.model.notify('error', 'Stop computing first', [
      'The key cannot be replaced while this tab is computing with it.',
    ]);
    return true;
  }

  /**
   * Results computed with the key here wait to be delivered (said, with where): they go under that key alone, the
   * coordinator refusing them from another key's tab (lease_foreign), so they were dropped as the restored key sent them.
   * Those set aside count too: retried under the restored key, they would be dropped the same way.
   */
  async #waiting(): Promise<boolean> {
    const { model, store, grids } = this.#o;
    const { undelivered, setAside: aside } = await store.outbox.counts();
    const where = [...(undelivered > 0 ? ['this coordinator'] : []), ...((await grids?.waiting()) ?? [])];
    if (where.length === 0 && aside === 0) return false;
    model.notify('error', 'Key not restored', [
      ...(where.length > 0
        ? [
            `Results computed with the key here still wait to be delivered (to ${where.join(', ')}), and would be refused under another key. Try again once they have gone (a removed grid still delivers them). A grid that will not take them back can be removed under Other grids, then forgotten there: its results are then not delivered.`,
          ]
        : []),
      ...(aside > 0
        ? [
            `${aside} result${aside === 1 ? '' : 's'} computed with the key here ${aside === 1 ? 'is' : 'are'} set aside (under Results not delivered), and would be refused under another key: retry ${aside === 1 ? 'it' : 'them'} first.`,
          ]
        : []),
    ]);
    return true;
  }
}
