// A Postgres database from before export requests could be settled migrates with its recorded exports kept (see the
// SQLite migration's test).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VolunteerKey } from '@bricolage/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../config';
import { openStore } from '../../server';
import { BACKENDS, type TestDatabase } from '../../testing/backends';
import { PG_MIGRATIONS } from './schema';

const postgres = BACKENDS.find((b) => b.name === 'postgres');
const CLOSED = PG_MIGRATIONS.findIndex((m) => m.includes('CREATE TABLE closed_export_requests'));
const KEY = 'volunteer-key' as VolunteerKey;

describe.skipIf(!postgres || postgres.unavailable !== null)('the closed export requests migration (postgres)', () => {
  let db: TestDatabase | null = null;
  let dir = '';
  afterEach(async () => {
    await db?.close();
    db = null;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the recorded exports, and closes a request settled with none, refusing its export after', async () => {
    expect(CLOSED).toBeGreaterThan(0);
    const open = await postgres!.open('');
    db = open;
    for (const m of PG_MIGRATIONS.slice(0, CLOSED)) await open.execute(m);
    await open.execute('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    await open.execute('INSERT INTO schema_version (version) VALUES (?)', [CLOSED]);
    await open.execute(
      "INSERT INTO export_requests (volunteer, request_id, to_key, amount, idx, at) VALUES (?, 'made-before-0123456789', 'grid-b', 5, 7, 1)",
      [KEY],
    );

    dir = mkdtempSync(join(tmpdir(), 'bricolage-closed-exports-'));
    const store = await openStore(dir, DEFAULT_CONFIG, Math.random, {
      databaseUrl: open.databaseUrl as string,
      onError: (e) => expect.fail(e.message),
    });
    try {
      expect(await store.settleExportRequest(KEY, 'made-before-0123456789', 10)).toEqual({
        kind: 'exported',
        index: 7,
      });
      expect(await store.settleExportRequest(KEY, 'never-made-0123456789', 10)).toEqual({ kind: 'closed' });
      expect(
        await store.exportCredit(KEY, { to: 'grid-b', amount: 1, requestId: 'never-made-0123456789' }, ['grid-b'], 11),
      ).toMatchObject({
        ok: false,
        error: { code: 'conflict', message: expect.stringMatching(/settled as not made/) },
      });
    } finally {
      await store.close();
    }
    expect(await open.query('SELECT volunteer, request_id, at FROM closed_export_requests')).toEqual([
      { volunteer: KEY, request_id: 'never-made-0123456789', at: 10 },
    ]);
  });
});
