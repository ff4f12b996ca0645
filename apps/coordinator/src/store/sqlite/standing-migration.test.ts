// A data directory from before volunteers' standing (issue 17, phase 2) opens with its volunteers' counters
// kept: a key flagged by a known answer no longer votes, and trust earned under the old rule is not carried over.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VolunteerKey } from '@bricolage/protocol';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../config';
import { stepLimits } from '../../server';
import { CoordinatorStore } from '../coordinator-store';
import { MIGRATIONS } from './schema';
import { SqlitePersistence } from './sqlite-persistence';

const STANDING = MIGRATIONS.findIndex((m) => m.includes('rep_record'));

describe('the standing migration', () => {
  let dir: string;
  let path: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-standing-'));
    path = join(dir, 'bricolage.sqlite');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the counters, silences flagged keys and starts everyone untrusted', async () => {
    const db = new Database(path);
    for (const m of MIGRATIONS.slice(0, STANDING)) db.exec(m);
    db.pragma(`user_version = ${STANDING}`);
    const add = db.prepare(
      'INSERT INTO volunteers (key, consecutive_valid, flagged, valid, invalid, credit) VALUES (?, ?, ?, ?, ?, ?)',
    );
    add.run('trusted', 500, 0, 500, 0, 5000);
    add.run('caught', 0, 1, 20, 1, 200);
    db.close();

    const store = new CoordinatorStore(new SqlitePersistence({ path }), {
      random: Math.random,
      ...stepLimits({ ...DEFAULT_CONFIG, maxLeasesPerVolunteer: 8, inlineInputBytes: 1024 }),
      staleUploadMs: 60_000,
    });
    try {
      expect(await store.volunteerStats('trusted' as VolunteerKey)).toMatchObject({
        valid: 500,
        credit: 5000,
        consecutiveValid: 0,
        flagged: false,
      });
      expect(await store.volunteerStats('caught' as VolunteerKey)).toMatchObject({
        valid: 20,
        invalid: 1,
        flagged: true,
      });
    } finally {
      await store.close();
    }
  });
});
