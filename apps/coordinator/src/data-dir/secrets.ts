// The coordinator's secrets (the seed of its Ed25519 signing key, the HMAC key of volunteer tokens) as
// files only the server's user can read: DATA_DIR/keys is 0700 and each key 0600. Releases before this one
// kept them in the `meta` table of bricolage.sqlite, a 0644 file in a 0755 directory; the first start of
// this one moves them out, so an existing grid keeps its public key and its volunteers' tokens.
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../store/store';
import { privateDirectory } from './layout';
import { DataDirectoryUnusable } from './unusable';

export const SECRET_BYTES = 32;

/**
 * The secret in `keysDir/file`: read, or moved there from the store's meta entry `legacyKey`, or made.
 * A file written by an interrupted move is used only when it holds the same bytes as the meta entry.
 */
export async function loadSecret(
  keysDir: string,
  file: string,
  store: Pick<Store, 'getMeta' | 'deleteMeta'>,
  legacyKey: string,
): Promise<Uint8Array> {
  privateDirectory(keysDir);
  const path = join(keysDir, file);
  const legacy = await store.getMeta(legacyKey);
  const secret = readSecret(path) ?? createSecret(path, legacy ?? randomBytes(SECRET_BYTES));
  if (legacy) {
    if (Buffer.compare(legacy, secret) !== 0)
      throw new DataDirectoryUnusable(
        `${path} and the meta entry '${legacyKey}' of the database hold different keys; ` +
          'remove the one that is not in use and start again',
      );
    // Only once the file is durable: a crash before this line leaves both, and the next start ends here.
    await store.deleteMeta(legacyKey);
  }
  chmodSync(path, 0o600);
  return secret;
}

function readSecret(path: string): Uint8Array | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  if (bytes.length !== SECRET_BYTES)
    throw new DataDirectoryUnusable(`${path} is ${bytes.length} bytes, not a ${SECRET_BYTES}-byte key`);
  return new Uint8Array(bytes);
}

/**
 * Writes the key to a private temporary file, makes it durable, then links it into place: the key file
 * never exists half-written, and if another process linked one first, that one is read and used.
 */
function createSecret(path: string, secret: Uint8Array): Uint8Array {
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, secret);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temporary, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    unlinkSync(temporary);
  }
  syncDirectory(join(path, '..'));
  return readSecret(path) as Uint8Array;
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
