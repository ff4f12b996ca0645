// SHA-256 on the server's hot paths: node:crypto is synchronous and several times faster than WebCrypto.
import { createHash } from 'node:crypto';

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
