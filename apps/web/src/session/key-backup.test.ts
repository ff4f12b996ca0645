import 'fake-indexeddb/auto';
import { createKeyBackup, VolunteerStore } from '@bricolage/receipts';
import { describe, expect, it } from 'vitest';
import type { Computing } from './computing';
import { KeyBackup } from './key-backup';
import type { ReceiptSync } from './receipt-sync';
import { ViewModel } from './view';

const PASSPHRASE = 'tabs donate cycles 42';

/** A cleared browser (a key of its own, made by a Start) and a backup of another key. */
async function clearedBrowser(name: string, gridsWaiting: readonly string[] = []) {
  const other = await VolunteerStore.open(`${name} backed up`);
  const backup = await createKeyBackup(await other.ensureIdentity(), PASSPHRASE, [], { iterations: 1000 });
  if (!backup.ok) throw new Error(backup.error.message);
  const store = await VolunteerStore.open(name);
  const own = await store.ensureIdentity();
  const model = new ViewModel();
  const retired: string[] = [];
  const keyBackup = new KeyBackup({
    model,
    store,
    computing: { retire: async (key: string) => void retired.push(key) } as unknown as Computing,
    receipts: { refresh: async () => undefined, schedule: () => undefined } as unknown as ReceiptSync,
    grids: { retire: async (key: string) => void retired.push(key), waiting: async () => gridsWaiting },
  });
  const file = new Blob([JSON.stringify(backup.value)], { type: 'application/json' });
  return { model, store, own, retired, keyBackup, file };
}

describe('restoring a key backup', () => {
  it('is refused, changing nothing, while the coordinator’s key is unknown here: its receipts would be dropped', async () => {
    const { model, store, own, retired, keyBackup, file } = await clearedBrowser('restore-unknown-key');
    expect(model.view().coordinatorKey).toBeNull();
    expect(await keyBackup.restore(file, PASSPHRASE)).toBe(false);
    expect(model.view().notices.at(-1)).toMatchObject({ kind: 'error', title: 'Key not restored' });
    expect(model.view().notices.at(-1)?.lines.join(' ')).toContain('try again once it is reachable');
    expect((await store.identity())?.publicKey).toBe(own.publicKey);
    expect(retired).toEqual([]);
  });

  it('goes ahead once the coordinator’s key is known', async () => {
    const { model, store, own, keyBackup, file } = await clearedBrowser('restore-known-key');
    model.set({ coordinatorKey: 'k'.repeat(64) });
    expect(await keyBackup.restore(file, PASSPHRASE)).toBe(true);
    expect(model.view().notices.at(-1)?.title).toMatch(/^Key .* restored$/);
    expect((await store.identity())?.publicKey).not.toBe(own.publicKey);
  });

  it('is refused, changing nothing, while results computed with the key here wait to be delivered', async () => {
    const home = await clearedBrowser('restore-home-outbox');
    home.model.set({ coordinatorKey: 'k'.repeat(64) });
    const result = { kind: 'error', lease: 'ls_1', message: 'x', backend: 'wasm', elapsedMs: 1 } as never;
    await home.store.outbox.put({ id: 'ls_1', result, createdAt: 1 });
    expect(await home.keyBackup.restore(home.file, PASSPHRASE)).toBe(false);
    expect(home.model.view().notices.at(-1)?.lines.join(' ')).toContain('would be refused under another key');
    expect((await home.store.identity())?.publicKey).toBe(home.own.publicKey);
    expect(home.retired).toEqual([]);
    expect(await home.store.outbox.size()).toBe(1);

    expect(home.model.view().notices.at(-1)?.lines.join(' ')).toContain('(to this coordinator)');

    // Set aside (the coordinator failed on it), it would be dropped as well, retried under the restored key.
    const aside = await clearedBrowser('restore-set-aside');
    aside.model.set({ coordinatorKey: 'k'.repeat(64) });
    await aside.store.outbox.put({ id: 'ls_1', result, createdAt: 1 });
    await aside.store.outbox.setAside('ls_1', { code: 'internal', message: 'internal error' }, 2);
    expect(await aside.keyBackup.restore(aside.file, PASSPHRASE)).toBe(false);
    expect(aside.model.view().notices.at(-1)?.lines.join(' ')).toContain(
      '1 result computed with the key here is set aside',
    );
    expect((await aside.store.identity())?.publicKey).toBe(aside.own.publicKey);

    const grid = await clearedBrowser('restore-grid-outbox', ['https://b.example']);
    grid.model.set({ coordinatorKey: 'k'.repeat(64) });
    expect(await grid.keyBackup.restore(grid.file, PASSPHRASE)).toBe(false);
    expect(grid.model.view().notices.at(-1)?.lines.join(' ')).toContain('(to https://b.example)');
    expect((await grid.store.identity())?.publicKey).toBe(grid.own.publicKey);
  });
});

describe('restoring the key the browser has', () => {
  it('goes ahead with results waiting: they are that key’s', async () => {
    const store = await VolunteerStore.open('restore-same-key');
    const own = await store.ensureIdentity();
    const backup = await createKeyBackup(own, PASSPHRASE, [], { iterations: 1000 });
    if (!backup.ok) throw new Error(backup.error.message);
    await store.outbox.put({ id: 'ls_1', result: { kind: 'error', lease: 'ls_1' } as never, createdAt: 1 });
    const model = new ViewModel();
    model.set({ coordinatorKey: 'k'.repeat(64) });
    const keyBackup = new KeyBackup({
      model,
      store,
      computing: { retire: async () => undefined } as unknown as Computing,
      receipts: { refresh: async () => undefined, schedule: () => undefined } as unknown as ReceiptSync,
      grids: { retire: async () => undefined, waiting: async () => ['https://b.example'] },
    });
    expect(await keyBackup.restore(new Blob([JSON.stringify(backup.value)]), PASSPHRASE)).toBe(true);
    expect(await store.outbox.size()).toBe(1);
  });
});

describe('backing up the key', () => {
  it('says how many receipts of another key of the volunteer’s (a widget’s, imported) it leaves out', async () => {
    const identity = await (await VolunteerStore.open('backup-left-out')).ensureIdentity();
    const model = new ViewModel();
    const store = {
      identity: async () => identity,
      receipts: async () => [
        { volunteer: identity.publicKey, proven: { own: 1 } },
        { volunteer: 'widget-key', proven: { widget: 1 } },
        { volunteer: 'widget-key', proven: { widget: 2 } },
      ],
    } as unknown as VolunteerStore;
    const keyBackup = new KeyBackup({
      model,
      store,
      computing: {} as Computing,
      receipts: {} as ReceiptSync,
    });
    expect(await keyBackup.backup(PASSPHRASE)).not.toBeNull();
    const lines = model.view().notices.at(-1)?.lines ?? [];
    expect(lines[0]).toContain('your key and 1 receipt(s)');
    expect(lines[1]).toContain('2 receipt(s) earned with another key of yours');
  });
});
