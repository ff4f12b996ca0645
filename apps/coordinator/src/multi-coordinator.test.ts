// Several coordinators, one grid: two coordinator processes' worth (two in this process, each its own
// server, store and pool) on one Postgres and one data directory. A volunteer may lease from one and submit
// to the other; a progress stream on one hears of what the other committed (LISTEN/NOTIFY, not a poll); a
// blob put through one is served by the other; one of them sweeps; both sign the same tree head. Two SQLite
// coordinators on one data directory are still refused.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API } from '@bricolage/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, seededRandom } from './clock';
import { DataDirectoryInUse } from './data-dir/lock';
import { type Coordinator, startCoordinator } from './server';
import { BACKENDS, type TestDatabase } from './testing/backends';
import { Researcher, square } from './testing/fixtures';
import { SimVolunteer } from './testing/sim-volunteer';

const postgres = BACKENDS.find((b) => b.name === 'postgres');

describe.skipIf(!postgres || postgres.unavailable !== null)('several coordinators on one Postgres', () => {
  let dir = '';
  let db: TestDatabase | null = null;
  const running: Coordinator[] = [];

  afterEach(async () => {
    for (const c of running.splice(0)) await c.close();
    await db?.close();
    db = null;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const grid = async (n: number, clock: ManualClock) => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-multi-'));
    db = await (postgres as NonNullable<typeof postgres>).open(dir);
    for (let i = 0; i < n; i++)
      running.push(
        await startCoordinator({
          dataDir: dir,
          databaseUrl: db.databaseUrl,
          clock,
          random: seededRandom(i + 1),
          // Only announcements make a stream read again here: a quiet job is read once an hour.
          config: { progressEveryMs: 100, progressQuietMs: 3_600_000, sweepMs: 3_600_000 },
          log: () => undefined,
        }),
      );
    return running.slice();
  };

  it('shares one grid: lease here, submit there, streams and blobs on either, one sweeper, one tree head', async () => {
    const clock = new ManualClock();
    const [a, b] = (await grid(2, clock)) as [Coordinator, Coordinator];
    const { token } = await a.createProject('multi');
    const atA = new Researcher(a.url, token);
    const atB = new Researcher(b.url, token);
    const job = await atA.createSquareJob({ leaseSeconds: 60 });
    expect((await atB.addSquares(job, 1, 2)).status).toBe(200);

    // A progress stream held by A.
    const controller = new AbortController();
    const stream = await fetch(`${a.url}${API.events(job)}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: controller.signal,
    });
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const until = async (pattern: RegExp) => {
      while (!pattern.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    };
    await until(/"unsent":2/);

    // Two volunteers, each leasing from one coordinator and submitting to the other.
    const one = await SimVolunteer.create(a.url);
    const two = await SimVolunteer.create(b.url);
    const l1 = await one.lease(2);
    const l2 = await two.lease(2);
    expect([l1.leases.length, l2.leases.length]).toEqual([2, 2]);
    expect((await one.at(b.url).computeAndSubmit(l1.leases, square)).status).toBe(200);
    expect((await two.at(a.url).computeAndSubmit(l2.leases, square)).status).toBe(200);
    // B committed the results A's stream is about: only B's announcement can make A read again.
    await until(/"validated":2/);
    await until(/event: completed/);
    controller.abort();
    expect((await atA.progress(job)).counts).toMatchObject({ validated: 2 });

    // A blob put through A is served by B (the data directory is shared).
    const blob = new TextEncoder().encode('shared between coordinators');
    const hash = createHash('sha256').update(blob).digest('hex');
    expect((await atA.request('PUT', API.blob(hash), blob, 'application/octet-stream')).status).toBe(200);
    const got = await fetch(b.url + API.blob(hash));
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(blob);

    // Both sign the same head for the same log.
    const heads = await Promise.all([a, b].map(async (c) => (await fetch(c.url + API.treeHead)).json()));
    expect(heads[1]).toEqual(heads[0]);
    expect((heads[0] as { head: { size: number } }).head.size).toBe(4);

    // One of them sweeps: A, which started first. B's sweep does nothing, A's expires the lease that ran out.
    expect(await Promise.all([a.store.lead(), b.store.lead()])).toEqual([true, false]);
    const deserter = await SimVolunteer.create(b.url);
    expect((await atA.addSquares(job, 10, 1)).status).toBe(200);
    expect((await deserter.lease(1)).leases).toHaveLength(1);
    clock.advance(61_000);
    expect(await b.sweep()).toBe(0);
    expect(await deserter.stats()).toMatchObject({ leased: 1, errors: 0 });
    expect(await a.sweep()).toBe(1);
    // The lease that ran out counts as its volunteer's error result, once.
    expect(await deserter.stats()).toMatchObject({ leased: 1, returned: 1, errors: 1 });
    expect(await b.sweep()).toBe(0);

    // When A stops, B takes over the sweep.
    await a.close();
    running.splice(running.indexOf(a), 1);
    await expect.poll(() => b.store.lead(), { timeout: 10_000 }).toBe(true);
  });

  it('lets any number of Postgres coordinators share a data directory, and still refuses a second SQLite one', async () => {
    const clock = new ManualClock();
    expect(await grid(3, clock)).toHaveLength(3);
    const sqlite = mkdtempSync(join(tmpdir(), 'bricolage-multi-sqlite-'));
    try {
      const first = await startCoordinator({ dataDir: sqlite, clock, log: () => undefined });
      running.push(first);
      await expect(startCoordinator({ dataDir: sqlite, clock, log: () => undefined })).rejects.toThrow(
        DataDirectoryInUse,
      );
    } finally {
      for (const c of running.splice(0)) await c.close();
      rmSync(sqlite, { recursive: true, force: true });
    }
  });
});
