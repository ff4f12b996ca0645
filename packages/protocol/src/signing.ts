// Ed25519 through WebCrypto, available in Node 20 and in browsers. Keys travel as raw bytes in base64url.
import { fromBase64Url, toBase64Url, utf8 } from './bytes';
import { webCrypto } from './canonical';

export interface Ed25519KeyPair {
  readonly publicKey: CryptoKey;
  readonly privateKey: CryptoKey;
  /** Raw public key, base64url: the volunteer id or the coordinator's published key. */
  readonly publicKeyText: string;
}

export async function generateSigningKeyPair(extractable = false): Promise<Ed25519KeyPair> {
  const pair = (await webCrypto().generateKey({ name: 'Ed25519' }, extractable, ['sign', 'verify'])) as CryptoKeyPair;
  const raw = new Uint8Array(await webCrypto().exportKey('raw', pair.publicKey));
  return { publicKey: pair.publicKey, privateKey: pair.privateKey, publicKeyText: toBase64Url(raw) };
}

/** A private key as text (PKCS #8, base64url), for a file only its owner can read. */
export async function exportPrivateKey(privateKey: CryptoKey): Promise<string> {
  return toBase64Url(new Uint8Array(await webCrypto().exportKey('pkcs8', privateKey)));
}

export async function importPrivateKey(text: string): Promise<CryptoKey> {
  const pkcs8 = fromBase64Url(text) as Uint8Array<ArrayBuffer>;
  return webCrypto().importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign']);
}

/** The public half of a private key, as the text `generateSigningKeyPair` gives it. */
export async function publicKeyOf(privateKeyText: string): Promise<string> {
  const jwk = await webCrypto().exportKey(
    'jwk',
    await webCrypto().importKey(
      'pkcs8',
      fromBase64Url(privateKeyText) as Uint8Array<ArrayBuffer>,
      { name: 'Ed25519' },
      true,
      ['sign'],
    ),
  );
  if (typeof jwk.x !== 'string') throw new TypeError('not an Ed25519 private key');
  return jwk.x;
}

export async function importPublicKey(publicKeyText: string): Promise<CryptoKey> {
  const raw = fromBase64Url(publicKeyText);
  if (raw.length !== 32) throw new TypeError('an Ed25519 public key is 32 bytes');
  return webCrypto().importKey('raw', raw as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, true, ['verify']);
}

export async function sign(privateKey: CryptoKey, message: Uint8Array): Promise<string> {
  const signature = await webCrypto().sign({ name: 'Ed25519' }, privateKey, message as Uint8Array<ArrayBuffer>);
  return toBase64Url(new Uint8Array(signature));
}

/**
 * Never throws: a malformed key or signature is simply not valid. Both must be in canonical unpadded
 * base64url, so that one key or signature has exactly one spelling.
 */
export async function verify(publicKeyText: string, message: Uint8Array, signatureText: string): Promise<boolean> {
  try {
    if (toBase64Url(fromBase64Url(publicKeyText)) !== publicKeyText) return false;
    const key = await importPublicKey(publicKeyText);
    const signature = fromBase64Url(signatureText);
    if (signature.length !== 64 || toBase64Url(signature) !== signatureText) return false;
    return await webCrypto().verify(
      { name: 'Ed25519' },
      key,
      signature as Uint8Array<ArrayBuffer>,
      message as Uint8Array<ArrayBuffer>,
    );
  } catch {
    return false;
  }
}

/**
 * Messages are prefixed with a purpose string so that a signature made for one purpose
 * (an auth challenge) can never be replayed as another (a receipt, a tree head).
 */
export const SIGNING_DOMAINS = {
  auth: 'bricolage/auth/v1\n',
  receipt: 'bricolage/receipt/v1\n',
  treeHead: 'bricolage/tree-head/v1\n',
  /** A volunteer's signature on a receipts file it exported: proof that it holds the key its receipts credit. */
  receiptsHolder: 'bricolage/receipts-holder/v1\n',
  /** A project's signature on a job's code: its spec (every asset named by hash) and comparator. */
  job: 'bricolage/job/v1\n',
  /** A volunteer's claim, in a peer room, that an awareness client id is its own (peer.ts `presenceClaim`). */
  presence: 'bricolage/presence/v1\n',
} as const;
export type SigningDomain = keyof typeof SIGNING_DOMAINS;

export function domainMessage(domain: SigningDomain, body: string): Uint8Array {
  return utf8(SIGNING_DOMAINS[domain] + body);
}
