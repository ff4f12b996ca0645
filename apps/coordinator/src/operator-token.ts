// The operator's credential: a random token kept in DATA_DIR/operator-token (mode 0600), made at the
// coordinator's first start and printed then, once. Whoever can read the data directory is the operator;
// `npm run coordinator -- operator-token` prints it again, `--rotate` replaces it. The coordinator reads the
// file on each operator request, so a rotation takes effect at once, without a restart.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * The data directory's token, made now (mode 0600) when there is none. Written beside its place and linked in,
 * so the file is never seen half-written: an earlier release wrote it in place, and a start cut off then left
 * an empty file, which held no token and made every operator request fail. Such a file is replaced.
 */
export function ensureOperatorToken(dataDir: string): { token: string; created: boolean } {
  const existing = readOperatorToken(dataDir);
  if (existing) return { token: existing, created: false };
  const token = newToken();
  const path = operatorTokenPath(dataDir);
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, `${token}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // Another process linked its token meanwhile (theirs stands), or the file there is empty (replaced).
    if (readOperatorToken(dataDir) === null) renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
  const stored = readOperatorToken(dataDir);
  if (!stored) throw new Error(`${path} vanished while it was being made`);
  return { token: stored, created: stored === token };
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
