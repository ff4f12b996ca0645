import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API } from '@bricolage/protocol';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config';
import { VolunteerTokens } from '../http/tokens';
import { coordinatorKeyFromSeed } from '../log/keys';
import { openStore, startCoordinator } from '../server';
import { layoutOf } from './layout';

const mode = (path: string) => statSync(path).mode & 0o777;
const VOLUNTEER = 'A'.repeat(43);

function metaKeys(database: string): string[] {
  const db = new Database(database, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT key FROM meta ORDER BY key').pluck().all() as string[];
  } finally {
    db.close();
  }
}

/** Whether `needle` occurs anywhere in the database's files, free pages and WAL included. */
function inDatabaseFiles(database: string, needle: Uint8Array): boolean {
  return ['', '-wal'].some((s) => existsSync(database + s) && readFileSync(database + s).includes(Buffer.from(needle)));
}

const me = async (url: string, token: string) =>
  (await fetch(url + API.me, { headers: { authorization: `Bearer ${token}` } })).status;

describe('the data directory and the coordinator keys', () => {
  let root = '';
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('makes a new data directory private: 0700, keys in 0600 files, a 0600 database, no key in the database', async () => {
    root = mkdtempSync(join(tmpdir(), 'bricolage-keys-'));
    const dataDir = join(root, 'data');
    const layout = layoutOf(dataDir);
    const first = await startCoordinator({ dataDir, log: () => undefined });
    await first.close();
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(layout.keys)).toBe(0o700);
    expect(mode(layout.database)).toBe(0o600);
    for (const file of ['coordinator.key', 'token.key']) {
      expect(mode(join(layout.keys, file))).toBe(0o600);
      expect(readFileSync(join(layout.keys, file))).toHaveLength(32);
    }
    // Only the coordinator's heartbeat and the log's public key (steps/log-key.ts) are there: no secret.
    expect(metaKeys(layout.database)).toEqual(['alive_at', 'log_key']);
    const seed = readFileSync(join(layout.keys, 'coordinator.key'));
    expect(first.publicKey).toBe(coordinatorKeyFromSeed(seed).publicKey);
    const again = await startCoordinator({ dataDir, log: () => undefined });
    expect(again.publicKey).toBe(first.publicKey);
    await again.close();
  });

  it('moves the keys of a data directory an earlier release left out of the database, keeping its identity', async () => {
    root = mkdtempSync(join(tmpdir(), 'bricolage-keys-'));
    const dataDir = join(root, 'data');
    const layout = layoutOf(dataDir);
    // As the earlier release left it: a 0755 directory, a 0644 database, both keys in its meta table.
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    await (await openStore(dataDir, DEFAULT_CONFIG, Math.random)).close();
    const seed = new Uint8Array(32).map((_, i) => 200 - i);
    const tokenKey = new Uint8Array(32).map((_, i) => 7 * i + 1);
    const db = new Database(layout.database);
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?), (?, ?)').run(
      'signing_key_seed',
      seed,
      'token_key',
      tokenKey,
    );
    db.close();
    chmodSync(dataDir, 0o755);
    chmodSync(layout.database, 0o644);
    const oldToken = new VolunteerTokens(tokenKey).mint(VOLUNTEER, Date.now() + 60_000);

    const coordinator = await startCoordinator({ dataDir, log: () => undefined });
    try {
      expect(coordinator.publicKey).toBe(coordinatorKeyFromSeed(seed).publicKey);
      // A token the earlier release minted still authenticates: the token key moved, unchanged.
      expect(await me(coordinator.url, oldToken)).toBe(200);
    } finally {
      await coordinator.close();
    }
    expect(readFileSync(join(layout.keys, 'coordinator.key'))).toEqual(Buffer.from(seed));
    expect(readFileSync(join(layout.keys, 'token.key'))).toEqual(Buffer.from(tokenKey));
    expect([mode(dataDir), mode(layout.database)]).toEqual([0o700, 0o600]);
    // Only the coordinator's heartbeat and the log's public key (steps/log-key.ts) are there: no secret.
    expect(metaKeys(layout.database)).toEqual(['alive_at', 'log_key']);
    expect(inDatabaseFiles(layout.database, seed)).toBe(false);
    expect(inDatabaseFiles(layout.database, tokenKey)).toBe(false);

    const again = await startCoordinator({ dataDir, log: () => undefined });
    expect(again.publicKey).toBe(coordinatorKeyFromSeed(seed).publicKey);
    await again.close();
  });

  it('narrows a key file left readable to others, and refuses keys that disagree with the database', async () => {
    root = mkdtempSync(join(tmpdir(), 'bricolage-keys-'));
    const dataDir = join(root, 'data');
    const layout = layoutOf(dataDir);
    await (await startCoordinator({ dataDir, log: () => undefined })).close();
    const keyFile = join(layout.keys, 'coordinator.key');
    chmodSync(keyFile, 0o644);
    await (await startCoordinator({ dataDir, log: () => undefined })).close();
    expect(mode(keyFile)).toBe(0o600);

    // A database still holding a different key than the file (restored from another grid's backup).
    const db = new Database(layout.database);
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('signing_key_seed', new Uint8Array(32).fill(9));
    db.close();
    await expect(startCoordinator({ dataDir, log: () => undefined })).rejects.toThrow(/hold different keys/);
    writeFileSync(keyFile, new Uint8Array(31));
    await expect(startCoordinator({ dataDir, log: () => undefined })).rejects.toThrow(/not a 32-byte key/);
  });
});
