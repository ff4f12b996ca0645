// Key backup: the volunteer's private key (and the receipts it earned) in one file, encrypted with a key
// derived from a passphrase (PBKDF2-SHA-256 → AES-256-GCM), so that credits survive a cleared browser.
import {
  fail,
  fromBase64,
  type Result,
  importPublicKey,
  ok,
  sign,
  toBase64,
  utf8,
  verify,
  webCrypto,
} from '@bricolage/protocol';
import type { StoredIdentity } from './schema';

export const BACKUP_FORMAT = 'bricolage-key-backup';
/** OWASP's 2023 figure for PBKDF2-HMAC-SHA-256; a fraction of a second in a browser. */
export const PBKDF2_ITERATIONS = 600_000;
export const MIN_PASSPHRASE = 8;

export interface KeyBackupFile {
  readonly format: typeof BACKUP_FORMAT;
  readonly v: 1;
  /** In the clear so a person can tell backups apart; bound to the ciphertext as associated data. */
  readonly publicKey: string;
  readonly createdAt: number;
  readonly kdf: {
    readonly name: 'PBKDF2';
    readonly hash: 'SHA-256';
    readonly iterations: number;
    readonly salt: string;
  };
  readonly cipher: { readonly name: 'AES-GCM'; readonly iv: string };
  readonly data: string;
}

/** What the ciphertext holds. */
interface Sealed {
  readonly privateKey: JsonWebKey;
  readonly receipts: readonly unknown[];
}

export interface RestoredBackup {
  readonly identity: StoredIdentity;
  /** Proven receipts as they were backed up; verify them before storing (`VolunteerStore.addReceipts`). */
  readonly receipts: readonly unknown[];
}

const associatedData = (publicKey: string) => utf8(`${BACKUP_FORMAT}/v1\n${publicKey}`);

async function deriveKey(passphrase: string, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
  const material = await webCrypto().importKey('raw', utf8(passphrase) as Uint8Array<ArrayBuffer>, 'PBKDF2', false, [
    'deriveKey',
  ]);
  return webCrypto().deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: salt as Uint8Array<ArrayBuffer>, iterations },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

export async function createKeyBackup(
  identity: StoredIdentity,
  passphrase: string,
  receipts: readonly unknown[] = [],
  options: { iterations?: number; now?: number } = {},
): Promise<Result<KeyBackupFile>> {
  if (passphrase.length < MIN_PASSPHRASE)
    return fail('bad_request', `the passphrase must have at least ${MIN_PASSPHRASE} characters`);
  if (!identity.privateKey.extractable)
    return fail('forbidden', 'this key was created non-extractable and cannot be backed up');
  const iterations = options.iterations ?? PBKDF2_ITERATIONS;
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const privateKey = await webCrypto().exportKey('jwk', identity.privateKey);
  const sealed: Sealed = { privateKey, receipts };
  const key = await deriveKey(passphrase, salt, iterations);
  const ciphertext = await webCrypto().encrypt(
    { name: 'AES-GCM', iv, additionalData: associatedData(identity.publicKey) as Uint8Array<ArrayBuffer> },
    key,
    utf8(JSON.stringify(sealed)) as Uint8Array<ArrayBuffer>,
  );
  return ok({
    format: BACKUP_FORMAT,
    v: 1,
    publicKey: identity.publicKey,
    createdAt: options.now ?? Date.now(),
    kdf: { name: 'PBKDF2', hash: 'SHA-256', iterations, salt: toBase64(salt) },
    cipher: { name: 'AES-GCM', iv: toBase64(iv) },
    data: toBase64(new Uint8Array(ciphertext)),
  });
}

/** Decrypts a backup file (parsed JSON or its text) and checks that the key inside is the key it names. */
export async function restoreKeyBackup(
  file: unknown,
  passphrase: string,
  now = Date.now(),
): Promise<Result<RestoredBackup>> {
  let parsed: unknown = file;
  if (typeof file === 'string') {
    try {
      parsed = JSON.parse(file);
    } catch {
      return fail('bad_request', 'this is not a key backup file (it is not JSON)');
    }
  }
  const backup = parsed as Partial<KeyBackupFile> | null;
  if (!backup || backup.format !== BACKUP_FORMAT) return fail('bad_request', 'this is not a Bricolage key backup file');
  if (backup.v !== 1) return fail('bad_request', `key backup version ${String(backup.v)} is not supported`);
  if (
    typeof backup.publicKey !== 'string' ||
    typeof backup.data !== 'string' ||
    backup.kdf?.name !== 'PBKDF2' ||
    backup.kdf.hash !== 'SHA-256' ||
    !Number.isInteger(backup.kdf.iterations) ||
    backup.kdf.iterations < 1000 ||
    backup.kdf.iterations > 10_000_000 ||
    backup.cipher?.name !== 'AES-GCM'
  )
    return fail('bad_request', 'the key backup file is incomplete or damaged');

  let plaintext: ArrayBuffer;
  try {
    const key = await deriveKey(passphrase, fromBase64(backup.kdf.salt), backup.kdf.iterations);
    plaintext = await webCrypto().decrypt(
      {
        name: 'AES-GCM',
        iv: fromBase64(backup.cipher.iv) as Uint8Array<ArrayBuffer>,
        additionalData: associatedData(backup.publicKey) as Uint8Array<ArrayBuffer>,
      },
      key,
      fromBase64(backup.data) as Uint8Array<ArrayBuffer>,
    );
  } catch (error) {
    // AES-GCM cannot tell a wrong passphrase from a damaged file: both fail authentication.
    return fail('bad_signature', `wrong passphrase, or the file was changed (${(error as Error).name})`);
  }

  let sealed: Sealed;
  try {
    sealed = JSON.parse(new TextDecoder().decode(plaintext)) as Sealed;
  } catch {
    return fail('bad_request', 'the key backup decrypted to something unreadable');
  }
  const jwk = sealed.privateKey;
  if (jwk?.kty !== 'OKP' || jwk.crv !== 'Ed25519' || jwk.x !== backup.publicKey)
    return fail('bad_request', 'the key in the backup is not the Ed25519 key the file names');
  let privateKey: CryptoKey;
  try {
    privateKey = await webCrypto().importKey('jwk', jwk, { name: 'Ed25519' }, true, ['sign']);
    await importPublicKey(backup.publicKey);
  } catch (error) {
    return fail('bad_request', `the key in the backup cannot be used: ${(error as Error).message}`);
  }
  // The private key must sign for the public key it claims. The probe is outside every signing domain
  // and never leaves this function.
  const probe = utf8(`bricolage/backup-check/v1\n${toBase64(crypto.getRandomValues(new Uint8Array(16)))}`);
  if (!(await verify(backup.publicKey, probe, await sign(privateKey, probe))))
    return fail('bad_signature', 'the private key in the backup does not match its public key');
  return ok({
    identity: { publicKey: backup.publicKey, privateKey, createdAt: backup.createdAt ?? now, restoredAt: now },
    receipts: Array.isArray(sealed.receipts) ? sealed.receipts : [],
  });
}
