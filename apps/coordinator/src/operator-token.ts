// The operator's credential: a random token kept in DATA_DIR/operator-token (mode 0600), made at the
// coordinator's first start and printed then, once. Whoever can read the data directory is the operator;
// `npm run coordinator -- operator-token` prints it again, `--rotate` replaces it. The coordinator reads the
// file on each operator request, so a rotation takes effect at once, without a restart.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toBase64Url } from '@bricolage/protocol';
import { sha256Hex } from './hash';

export const OPERATOR_TOKEN_FILE = 'operator-token';

export const operatorTokenPath = (dataDir: string): string => join(dataDir, OPERATOR_TOKEN_FILE);

const newToken = (): string => `bro_${toBase64Url(randomBytes(32))}`;

/** The token in the data directory, or null when there is none (yet). */
export function readOperatorToken(dataDir: string): string | null {
  try {
    const token = readFileSync(operatorTokenPath(dataDir), 'utf8').trim();
    return token === '' ? null : token;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** The data directory's token, made now (exclusively, mode 0600) when there is none. */
export function ensureOperatorToken(dataDir: string): { token: string; created: boolean } {
  const existing = readOperatorToken(dataDir);
  if (existing) return { token: existing, created: false };
  const token = newToken();
  try {
    // 'wx': if another process made one meanwhile, theirs stands.
    writeFileSync(operatorTokenPath(dataDir), `${token}\n`, { mode: 0o600, flag: 'wx' });
    return { token, created: true };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return { token: readOperatorToken(dataDir) as string, created: false };
  }
}

/** Replaces the token (written beside, then renamed over it, so no reader sees half of one). */
export function rotateOperatorToken(dataDir: string): string {
  const token = newToken();
  const tmp = `${operatorTokenPath(dataDir)}.${process.pid}.tmp`;
  writeFileSync(tmp, `${token}\n`, { mode: 0o600 });
  renameSync(tmp, operatorTokenPath(dataDir));
  return token;
}

/** Constant-time comparison of a presented token with the data directory's. */
export function isOperatorToken(dataDir: string, presented: string): boolean {
  const expected = readOperatorToken(dataDir);
  if (!expected) return false;
  return timingSafeEqual(Buffer.from(sha256Hex(Buffer.from(presented))), Buffer.from(sha256Hex(Buffer.from(expected))));
}
