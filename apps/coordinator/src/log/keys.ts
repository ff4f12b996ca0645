// The coordinator's Ed25519 identity: created on first start, kept in DATA_DIR/keys, never leaves the server.
import { type KeyObject, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { type SigningDomain, domainMessage, toBase64Url } from '@bricolage/protocol';
import { loadSecret } from '../data-dir/secrets';
import type { Store } from '../store/store';

// DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows it.
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface CoordinatorKey {
  /** Raw public key, base64url: the `log` of every receipt and tree head. */
  readonly publicKey: string;
  sign(domain: SigningDomain, body: string): string;
}

export function coordinatorKeyFromSeed(seed: Uint8Array): CoordinatorKey {
  const privateKey: KeyObject = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const publicKey = toBase64Url(new Uint8Array(spki.subarray(spki.length - 32)));
  return {
    publicKey,
    sign: (domain, body) => toBase64Url(sign(null, domainMessage(domain, body), privateKey)),
  };
}

/** The key in `keysDir/coordinator.key` (moved there from the store by the first start of this release). */
export async function loadOrCreateKey(keysDir: string, store: Store): Promise<CoordinatorKey> {
  return coordinatorKeyFromSeed(await loadSecret(keysDir, 'coordinator.key', store, 'signing_key_seed'));
}
