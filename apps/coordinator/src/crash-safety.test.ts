// kill -9 at random instants loses no work unit and no acknowledged result: the coordinator runs as a
// child process over a real SQLite file, volunteers keep working through repeated SIGKILLs and
// restarts, and afterwards the database is read directly and checked against what was acknowledged.
// Kill points are drawn from a seed (CRASH_SEED) so that a failure names the run that replays it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  API,
  type Lease,
  type LeaseResponse,
  type ReceiptBody,
  type SignedTreeHead,
  type SubmittedResult,
  fromBase64,
  leafHash,
  leaseNumber,
  rootFromLeafHashes,
  toBase64,
  toHex,
  verifyReceipt,
  verifyTreeHead,
  workUnitNumber,
} from '@bricolage/protocol';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type Random, seededRandom, systemClock } from './clock';
import { DEFAULT_CONFIG } from './config';
import { rootAt } from './log/merkle-tree';
import { createProject, openStore } from './server';
import { ChildCoordinator } from './testing/child-coordinator';
import { Researcher, square, squareInput } from './testing/fixtures';
import { GPU_CAPABILITIES, type HttpReply, SimVolunteer, okResult } from './testing/sim-volunteer';

const SEED = Number(process.env.CRASH_SEED ?? 0x5eed);
const WORK_UNITS = 2000;
const VOLUNTEERS = 12;
const RUN_KILLS = 4;
const LEASE_SECONDS = 5;
/** Leases taken by a volunteer that never returns. */
const DESERTED = 16;
const COST = 10;
/** Receipts fetched and verified per volunteer. */
const RECEIPT_SAMPLE = 10;
/** Replica states a result the coordinator acknowledged may end in; an honest one should end `valid`. */
const TERMINAL = ['valid', 'invalid', 'superseded'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where the run stands: what the coordinator acknowledged, and every answer it should not have given. */
interface Tally {
  /** Lease number → the work unit and volunteer of every result a 200 acknowledged. */
  readonly acknowledged: Map<number, { workUnit: number; volunteer: string }>;
  readonly dropped: Map<string, number>;
  readonly unexpected: string[];
  readonly networkErrors: { n: number };
  done: boolean;
}

/** One volunteer as the browser runtime behaves: lease, compute, submit; on a 4xx naming an item,
 * drop that item and resubmit the rest; on a network error, keep the batch and try again. */
async function volunteerLoop(v: SimVolunteer, random: Random, tally: Tally): Promise<void> {
  // Results not yet acknowledged, each with its work unit.
  let pending: { result: SubmittedResult; workUnit: number }[] = [];
  const call = async <T>(f: () => Promise<HttpReply<T>>): Promise<HttpReply<T> | null> => {
    try {
      return await f();
    } catch {
      // Refused, reset or cut off mid-answer: the coordinator is down or going down.
      tally.networkErrors.n++;
      await sleep(20 + random() * 30);
      return null;
    }
  };
  while (!tally.done) {
    if (pending.length > 0) {
      const batch = pending;
      const reply = await call(() => v.submit(batch.map((p) => p.result)));
      if (!reply) continue;
      if (reply.status === 200) {
        for (const p of batch)
          tally.acknowledged.set(leaseNumber(p.result.lease), { workUnit: p.workUnit, volunteer: v.key });
        pending = [];
        continue;
      }
      const error = (reply.body as { error?: { code: string; index?: number } }).error;
      if (reply.status === 429) {
        await sleep(50);
        continue;
      }
      if (reply.status >= 500 || !error) {
        tally.unexpected.push(`submit ${reply.status}: ${JSON.stringify(reply.body)}`);
        pending = [];
        continue;
      }
      tally.dropped.set(error.code, (tally.dropped.get(error.code) ?? 0) + 1);
      pending =
        error.index !== undefined && error.index < batch.length ? batch.filter((_, i) => i !== error.index) : [];
      continue;
    }
    const max = 1 + Math.floor(random() * 64);
    const reply = await call(() => v.post<LeaseResponse>(API.lease, { capabilities: GPU_CAPABILITIES, max }));
    if (!reply) continue;
    if (reply.status !== 200) {
      if (reply.status !== 429) tally.unexpected.push(`lease ${reply.status}: ${JSON.stringify(reply.body)}`);
      await sleep(50);
      continue;
    }
    const leases: Lease[] = reply.body.leases;
    if (leases.length === 0) {
      await sleep(50 + random() * 100);
      continue;
    }
    pending = leases.map((l) => ({
      result: okResult(l, square(fromBase64(l.input ?? ''))),
      workUnit: workUnitNumber(l.workUnit),
    }));
  }
}

describe('crash safety', () => {
  let dir = '';
  let child: ChildCoordinator | null = null;

  afterEach(async () => {
    await child?.kill();
    child = null;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loses no work unit and no acknowledged result across repeated kill -9 and restart', async () => {
    const started = performance.now();
    const random = seededRandom(SEED);
    const context = `CRASH_SEED=${SEED}`;
    dir = mkdtempSync(join(tmpdir(), 'bricolage-crash-'));
    const kills: string[] = [];

    // The project is created offline, the operator's way, before the coordinator first starts.
    const offline = await openStore(dir, DEFAULT_CONFIG, Math.random);
    const { token } = await createProject(offline, systemClock, 'crash');
    await offline.close();

    // Generous: on a busy machine a start can take many seconds.
    const startTimeoutMs = 60_000;
    let { child: current, url } = await ChildCoordinator.start({ dataDir: dir, startTimeoutMs });
    child = current;
    const port = Number(new URL(url).port);
    // When the coordinator last came up: a stall is only counted while it is up.
    let upSince = performance.now();
    const restart = async () => {
      ({ child: current, url } = await ChildCoordinator.start({ dataDir: dir, port, startTimeoutMs }));
      child = current;
      upSince = performance.now();
    };
    const kill = async (what: string) => {
      const exit = await current.kill('SIGKILL');
      expect(exit.signal, `${context}: ${what}`).toBe('SIGKILL');
      kills.push(`${what} (at ${((performance.now() - started) / 1000).toFixed(1)} s)`);
    };

    const researcher = new Researcher(url, token);
    const job = await researcher.createSquareJob({
      leaseSeconds: LEASE_SECONDS,
      costPerWorkUnit: COST,
      // Generous limits: every kill turns the leases in flight into errors, and this test is about
      // durability, not about when a work unit should give up.
      redundancy: { minQuorum: 2, maxTotalResults: 64, maxErrorResults: 64, homogeneous: false },
    });

    // Kill 1: in the middle of a streamed upload. Nothing of it may become visible.
    const lines = Array.from(
      { length: WORK_UNITS },
      (_, i) => `${JSON.stringify({ input: toBase64(squareInput(i)), tag: `n=${i}` })}\n`,
    );
    const cutAfter = 2 + Math.floor(random() * 15);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === cutAfter) {
          await kill(`mid-upload, after ${sent * 100} of ${WORK_UNITS} lines`);
          controller.close();
          return;
        }
        controller.enqueue(new TextEncoder().encode(lines.slice(sent * 100, sent * 100 + 100).join('')));
        sent++;
        await sleep(5);
      },
    });
    const cut = await fetch(url + API.workUnits(job), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
      body,
      duplex: 'half',
    } as RequestInit).then(
      (r) => `answered ${r.status}`,
      () => 'cut off',
    );
    expect(cut, context).toBe('cut off');
    await restart();
    const afterCut = await researcher.progress(job);
    expect(
      Object.values(afterCut.counts).reduce((a, b) => a + b, 0),
      `${context}: half an upload is visible`,
    ).toBe(0);
    const added = await researcher.addSquares(job, 0, WORK_UNITS);
    expect(added.status, context).toBe(200);

    const tally: Tally = {
      acknowledged: new Map(),
      dropped: new Map(),
      unexpected: [],
      networkErrors: { n: 0 },
      done: false,
    };
    const volunteers = await Promise.all(Array.from({ length: VOLUNTEERS }, () => SimVolunteer.create(url)));
    // A volunteer that leases and is never heard of again: its leases run out while the coordinator runs,
    // and their work units must be reissued to the others.
    const deserter = await SimVolunteer.create(url);
    expect((await deserter.lease(DESERTED)).leases, context).toHaveLength(DESERTED);
    const loops = volunteers.map((v, i) => volunteerLoop(v, seededRandom(SEED + 1 + i), tally));

    // Kills 2..: at random points of the run, each after a random number of acknowledged results
    // plus a random few milliseconds; one restart is itself killed while starting up.
    const targets = Array.from({ length: RUN_KILLS }, () => Math.floor((0.05 + 0.8 * random()) * 2 * WORK_UNITS)).sort(
      (a, b) => a - b,
    );
    const startupKill = Math.floor(random() * RUN_KILLS);
    // One outage outlasts the leases: the time the coordinator was down is given back to them, so the
    // results the volunteers held across it are still accepted.
    const longOutage = Math.floor(random() * RUN_KILLS);
    const killer = (async () => {
      for (const [i, target] of targets.entries()) {
        while (tally.acknowledged.size < target) {
          if (tally.done) return;
          await sleep(2);
        }
        await sleep(random() * 40);
        await kill(`run, after ${tally.acknowledged.size} acknowledged results`);
        await sleep(i === longOutage ? LEASE_SECONDS * 1000 + 1500 : random() * 200);
        if (i === startupKill) {
          const delay = Math.floor(random() * 800);
          current = ChildCoordinator.spawn({ dataDir: dir, port });
          child = current;
          await sleep(delay);
          await kill(`${current.running ? '' : 'after exit, '}${delay} ms into a restart`);
        }
        await restart();
      }
    })();

    let killerFailed: Error | null = null;
    killer.catch((e: Error) => {
      killerFailed = e;
    });

    // Done when the researcher sees every work unit validated; a stall fails with what it knows.
    let finished = 0;
    try {
      let last = -1;
      let lastChange = performance.now();
      for (;;) {
        await sleep(200);
        if (killerFailed) throw killerFailed;
        let validated = last;
        try {
          validated = (await researcher.progress(job)).counts.validated ?? 0;
        } catch {
          // down between a kill and its restart
        }
        if (validated === WORK_UNITS) break;
        if (validated !== last) lastChange = performance.now();
        last = validated;
        if (current.running && performance.now() - Math.max(lastChange, upSince) > 30_000)
          throw new Error(
            `${context}: stuck at ${validated}/${WORK_UNITS} validated; kills: ${kills.join('; ')}\n${current.output}`,
          );
      }
      await killer;
      finished = (performance.now() - started) / 1000;
    } finally {
      // Also on failure: no volunteer or restart may outlive the test.
      tally.done = true;
      await killer.catch(() => undefined);
      await Promise.all(loops);
    }
    expect(tally.unexpected, context).toEqual([]);
    // Only a lease that ran out while the coordinator was up (a slow round on a loaded machine) may be
    // refused: its time does not run while the coordinator is down. A token survives restarts (its key
    // is stored).
    expect(
      [...tally.dropped.keys()].filter((c) => c !== 'lease_expired'),
      context,
    ).toEqual([]);
    expect(kills.length).toBeGreaterThanOrEqual(RUN_KILLS + 1);

    // Exactly one canonical, correct result per work unit.
    const results = await researcher.results(job);
    expect(results, context).toHaveLength(WORK_UNITS);
    expect(new Set(results.map((r) => r.workUnit)).size).toBe(WORK_UNITS);
    for (const r of results) {
      expect(r.state, context).toBe('validated');
      expect(fromBase64(String(r.output)), context).toEqual(square(squareInput(Number(String(r.tag).slice(2)))));
    }

    // Every receipt checks out with the independent verifier, against a signed head of the whole log.
    const { publicKey } = (await (await fetch(url + API.wellKnown)).json()) as { publicKey: string };
    const head = (await (await fetch(url + API.treeHead)).json()) as SignedTreeHead;
    expect(await verifyTreeHead(head, publicKey)).toMatchObject({ ok: true });
    // A seeded sample: a few receipts from a random place in each volunteer's history.
    let verified = 0;
    for (const v of volunteers) {
      const after = Math.floor(random() * 0.8 * 2 * WORK_UNITS) - 1;
      const page = await v.get<{ receipts: unknown[] }>(`${API.receipts}?after=${after}&limit=${RECEIPT_SAMPLE}`);
      expect(page.status, context).toBe(200);
      for (const r of page.body.receipts) {
        expect(await verifyReceipt(r, publicKey), context).toMatchObject({ ok: true, value: { volunteer: v.key } });
        verified++;
      }
    }
    expect(verified, context).toBeGreaterThan(VOLUNTEERS);

    const exit = await current.stop();
    expect(exit, `${context}: clean shutdown\n${current.output}`).toEqual({ code: 0, signal: null });
    child = null;

    let expired = 0;
    const db = new Database(join(dir, 'bricolage.sqlite'), { readonly: true });
    try {
      // No acknowledged result was lost: its replica reached a verdict, and (all volunteers being honest) a valid one.
      const replica = db.prepare('SELECT wu, volunteer, state FROM replicas WHERE id = ?');
      const lost: string[] = [];
      for (const [lease, ack] of tally.acknowledged) {
        const row = replica.get(lease) as { wu: number; volunteer: string; state: string } | undefined;
        if (!row || row.wu !== ack.workUnit || row.volunteer !== ack.volunteer || !TERMINAL.includes(row.state))
          lost.push(`ls_${lease}: ${JSON.stringify(row ?? null)}`);
        else if (row.state !== 'valid') lost.push(`ls_${lease}: honest result ended ${row.state}`);
      }
      expect(lost.slice(0, 20), `${context}: ${lost.length} acknowledged results lost`).toEqual([]);
      expect(db.prepare("SELECT COUNT(*) AS n FROM replicas WHERE state = 'returned'").get(), context).toEqual({
        n: 0,
      });
      // The deserter's leases expired, and their work units were reissued (they all validated above).
      expired = (db.prepare("SELECT COUNT(*) AS n FROM replicas WHERE state = 'expired'").get() as { n: number }).n;
      expect(expired, context).toBeGreaterThanOrEqual(DESERTED);

      // Each work unit: validated, its canonical replica valid and correct, at least a quorum of distinct volunteers.
      const wus = db
        .prepare(
          `SELECT w.id, w.state, w.in_flight, w.output_hash, r.state AS rstate, r.output, r.output_hash AS rhash,
             (SELECT COUNT(DISTINCT volunteer) FROM replicas v WHERE v.wu = w.id AND v.state = 'valid') AS agreeing,
             (SELECT COUNT(*) FROM replicas l WHERE l.wu = w.id AND l.state = 'leased') AS leased,
             w.tag
           FROM work_units w LEFT JOIN replicas r ON r.id = w.canonical_replica`,
        )
        .all() as {
        id: number;
        state: string;
        in_flight: number;
        output_hash: string;
        rstate: string;
        output: Buffer;
        rhash: string;
        agreeing: number;
        leased: number;
        tag: string;
      }[];
      expect(wus).toHaveLength(WORK_UNITS);
      for (const w of wus) {
        const where = `${context}: wu_${w.id}`;
        expect([w.state, w.rstate, w.rhash], where).toEqual(['validated', 'valid', w.output_hash]);
        expect(new Uint8Array(w.output), where).toEqual(square(squareInput(Number(w.tag.slice(2)))));
        expect(w.agreeing, where).toBeGreaterThanOrEqual(2);
        // The counter a crash could tear from the rows it counts.
        expect(w.in_flight, where).toBe(w.leased);
      }

      // The log: contiguous, one receipt per valid replica, and its root recomputed from the bodies alone
      // equals both the stored tree's root and the root the coordinator signed.
      const receipts = db.prepare('SELECT idx, volunteer, body FROM receipts ORDER BY idx').all() as {
        idx: number;
        volunteer: string;
        body: string;
      }[];
      const bodies = receipts.map((r) => JSON.parse(r.body) as ReceiptBody);
      expect(receipts.map((r) => r.idx)).toEqual(receipts.map((_, i) => i));
      expect(bodies.every((b, i) => b.index === i && b.volunteer === receipts[i]?.volunteer)).toBe(true);
      const valid = db
        .prepare("SELECT wu, volunteer FROM replicas WHERE state = 'valid' ORDER BY wu, volunteer")
        .all() as { wu: number; volunteer: string }[];
      const credited = bodies
        .map((b) => ({ wu: workUnitNumber(b.workUnit), volunteer: b.volunteer as string }))
        .sort((a, b) => a.wu - b.wu || (a.volunteer < b.volunteer ? -1 : a.volunteer > b.volunteer ? 1 : 0));
      expect(credited, context).toEqual(valid);
      const recomputed = toHex(
        await rootFromLeafHashes(await Promise.all(receipts.map((r) => leafHash(new TextEncoder().encode(r.body))))),
      );
      const node = db.prepare('SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?');
      const stored = rootAt(
        {
          getNode: (level, index) => {
            const row = node.get(level, index) as { hash: Buffer } | undefined;
            return row ? new Uint8Array(row.hash) : undefined;
          },
          putNode: () => {
            throw new Error('read-only');
          },
        },
        receipts.length,
      );
      expect(toHex(stored), context).toBe(recomputed);
      expect([head.head.size, head.head.root], context).toEqual([receipts.length, recomputed]);

      // Credit: each volunteer's total is the sum of its receipts, and its counters match its replicas.
      const sums = new Map<string, { credit: number; n: number }>();
      for (const b of bodies) {
        const s = sums.get(b.volunteer) ?? { credit: 0, n: 0 };
        sums.set(b.volunteer, { credit: s.credit + b.credit, n: s.n + 1 });
      }
      const rows = db
        .prepare(
          `SELECT v.key, v.credit, v.valid, v.leased, v.returned,
             (SELECT COUNT(*) FROM replicas r WHERE r.volunteer = v.key) AS replicas,
             (SELECT COUNT(*) FROM replicas r WHERE r.volunteer = v.key AND r.state <> 'leased') AS ended
           FROM volunteers v`,
        )
        .all() as {
        key: string;
        credit: number;
        valid: number;
        leased: number;
        returned: number;
        replicas: number;
        ended: number;
      }[];
      expect(rows).toHaveLength(VOLUNTEERS + 1);
      for (const r of rows) {
        const s = sums.get(r.key) ?? { credit: 0, n: 0 };
        expect([r.credit, r.valid, r.leased, r.returned], `${context}: volunteer ${r.key}`).toEqual([
          s.credit,
          s.n,
          r.replicas,
          r.ended,
        ]);
      }
      const total = db.prepare('SELECT SUM(credit) AS c FROM jobs').get() as { c: number };
      expect(total.c).toBe(receipts.length * COST);
    } finally {
      db.close();
    }

    console.log(
      `crash safety (${context}): ${kills.length} kills, all work units validated at ${finished.toFixed(1)} s, ` +
        `checked by ${((performance.now() - started) / 1000).toFixed(1)} s — ` +
        `${kills.join('; ')}; ${tally.acknowledged.size} acknowledged results, ` +
        `${[...tally.dropped].map(([c, n]) => `${n} ${c}`).join(', ') || 'none'} dropped, ${expired} leases expired, ` +
        `${tally.networkErrors.n} requests cut off`,
    );
  }, 110_000);
});
