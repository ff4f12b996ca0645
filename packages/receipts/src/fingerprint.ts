// A short, readable fingerprint of a volunteer key: the first 64 bits of SHA-256 of the raw key, in hex groups.
import { fromBase64Url, sha256, toHex } from '@bricolage/protocol';

export async function fingerprint(publicKey: string): Promise<string> {
  const hex = toHex((await sha256(fromBase64Url(publicKey))).slice(0, 8));
  return hex.match(/.{4}/g)?.join(' ') ?? hex;
}
