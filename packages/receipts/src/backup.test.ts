import { generateSigningKeyPair } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { createKeyBackup, restoreKeyBackup } from './backup';
import type { StoredIdentity } from './schema';
import { createTestLog } from './testing';

// Few iterations keep the tests fast; the format records the count, so restore uses the same.
const FAST = { iterations: 1000 };

async function identity(extractable = true): Promise<StoredIdentity> {
  const pair = await generateSigningKeyPair(extractable);
  return { publicKey: pair.publicKeyText, privateKey: pair.privateKey, createdAt: 1 };
}

describe('key backup', () => {
  it('restores the same key and receipts with the right passphrase', async () => {
    const me = await identity();
    const log = await createTestLog();
    const receipt = await log.append(me.publicKey);
    const backup = await createKeyBackup(me, 'correct horse battery', [receipt], FAST);
    if (!backup.ok) throw new Error(backup.error.message);
    expect(backup.value.publicKey).toBe(me.publicKey);
    expect(JSON.stringify(backup.value)).not.toContain('"d"');

    const restored = await restoreKeyBackup(JSON.stringify(backup.value), 'correct horse battery');
    if (!restored.ok) throw new Error(restored.error.message);
    expect(restored.value.identity.publicKey).toBe(me.publicKey);
    expect(restored.value.identity.privateKey.extractable).toBe(true);
    expect(restored.value.receipts).toEqual([receipt]);
  });

  it('refuses a wrong passphrase, and a file whose clear public key was swapped', async () => {
    const me = await identity();
    const backup = await createKeyBackup(me, 'correct horse battery', [], FAST);
    if (!backup.ok) throw new Error(backup.error.message);
    const wrong = await restoreKeyBackup(backup.value, 'incorrect horse');
    expect(wrong.ok).toBe(false);
    if (!wrong.ok) expect(wrong.error.message).toMatch(/wrong passphrase/);

    const other = await identity();
    const swapped = await restoreKeyBackup({ ...backup.value, publicKey: other.publicKey }, 'correct horse battery');
    expect(swapped.ok).toBe(false);
  });

  it('says clearly when a file is not a backup, or a passphrase is too short, or the key cannot be exported', async () => {
    const notJson = await restoreKeyBackup('{{', 'whatever123');
    expect(notJson.ok || notJson.error.message).toMatch(/not JSON/);
    const other = await restoreKeyBackup({ format: 'bricolage-receipts' }, 'whatever123');
    expect(other.ok || other.error.message).toMatch(/not a Bricolage key backup/);
    const short = await createKeyBackup(await identity(), 'short', [], FAST);
    expect(short.ok || short.error.message).toMatch(/at least 8/);
    const locked = await createKeyBackup(await identity(false), 'long enough pass', [], FAST);
    expect(locked.ok || locked.error.message).toMatch(/non-extractable/);
  });
});
