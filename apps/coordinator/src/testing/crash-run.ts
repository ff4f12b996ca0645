// kill -9 at random instants of a run, against one coordinator (SQLite) or one of several sharing a
// Postgres: volunteers keep working through the kills and restarts, and afterwards the stored rows are
// read directly and checked against what was acknowledged: no work unit lost, no acknowledged result lost,
// no credit given twice, and a log that only grew (consistency proofs between the tree heads taken
// before and after each kill verify). Kill points are drawn from a seed, so a failure names the run that
// replays it. The crash test runs it small; `npm run soak:coordinators` runs it at full size.
import {
  API,
  type SignedTreeHead,
  fromBase64,
  fromHex,
  toHex,
  verifyConsistency,
  verifyReceipt,
  verifyTreeHead,
} from '@bricolage/protocol';
import { seededRandom, systemClock } from '../clock';
import { DEFAULT_CONFIG } from '../config';
import { createProject, openStore } from '../server';
import { ChildGrid } from './child-grid';
import { Researcher, square, squareInput, squareLines } from './fixtures';
import { RoundRobin } from './round-robin';
import { SimVolunteer } from './sim-volunteer';
import { COST, DESERTED, checkRows } from './crash-checks';
import { type Tally, volunteerLoop } from './crash-volunteer';

export interface CrashRunOptions {
  readonly seed: number;
  readonly dataDir: string;
  /** postgres://… for a grid of several processes on one Postgres; none for one SQLite coordinator. */
  readonly databaseUrl?: string;
  /** Coordinator processes; the volunteers reach them through one round-robin address when there are several. */
  readonly processes: number;
  readonly workUnits: number;
  readonly volunteers: number;
  /** Kills during the run (the upload's kill comes on top). */
  readonly kills: number;
  readonly leaseSeconds?: number;
  /** Reads the stored rows, in the backend's SQL (`?` placeholders). */
  readonly query: <T>(sql: string, params?: readonly unknown[]) => Promise<T[]>;
  /** Stall limit: no progress for this long while a coordinator is up fails the run. */
  readonly stallMs?: number;
  readonly log?: (line: string) => void;
}

export interface CrashRunReport {
  /** Every check that failed, with the seed that replays it; empty when the run held. */
  readonly problems: string[];
  readonly kills: string[];
  readonly acknowledged: number;
  readonly dropped: ReadonlyMap<string, number>;
  readonly networkErrors: number;
  readonly expiredLeases: number;
  readonly receipts: number;
  /** Tree heads taken around the kills, all checked pairwise for consistency. */
  readonly heads: number;
  readonly finishedSeconds: number;
  readonly checkedSeconds: number;
}

/** Receipts fetched and verified per volunteer. */
const RECEIPT_SAMPLE = 10;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runCrashScenario(o: CrashRunOptions): Promise<CrashRunReport> {
  const started = performance.now();
  const since = () => ((performance.now() - started) / 1000).toFixed(1);
  const random = seededRandom(o.seed);
  const context = `CRASH_SEED=${o.seed}`;
  const leaseSeconds = o.leaseSeconds ?? 5;
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(`${context}: ${what}`);
  };
  const kills: string[] = [];
  const log = o.log ?? (() => undefined);

  // The project is created offline, the operator's way, before any coordinator first starts.
  const offline = await openStore(o.dataDir, DEFAULT_CONFIG, Math.random, {
    ...(o.databaseUrl ? { databaseUrl: o.databaseUrl } : {}),
  });
  const { token } = await createProject(offline, systemClock, 'crash');
  await offline.close();

  // Generous: on a busy machine a start can take many seconds.
  const grid = await ChildGrid.start({
    dataDir: o.dataDir,
    processes: o.processes,
    startTimeoutMs: 60_000,
    // Its volunteers never come back for a lease a kill cut off: a minute's grace after each restart would
    // hold those units back past the stall watchdog (durability, which this tests, is the same either way).
    env: { RECONNECT_GRACE_MS: '0' },
    ...(o.databaseUrl ? { databaseUrl: o.databaseUrl } : {}),
  });
  const front = o.processes > 1 ? await RoundRobin.start(grid.urls) : null;
  const url = front?.url ?? grid.url(0);
  // When a coordinator last came up: a stall is only counted while they are all up.
  let upSince = performance.now();
  const kill = async (i: number, what: string) => {
    const exit = await grid.kill(i);
    check(exit.signal === 'SIGKILL', `${what}: exited ${JSON.stringify(exit)}`);
    kills.push(`${o.processes > 1 ? `#${i} ` : ''}${what} (at ${since()} s)`);
  };
  const restart = async (i: number) => {
    await grid.restart(i);
    upSince = performance.now();
  };
  // Tree heads around every kill: the log may only have grown between any two of them.
  const heads: SignedTreeHead[] = [];
  const takeHead = async () => {
    try {
      const res = await fetch(url + API.treeHead);
      if (res.ok) heads.push((await res.json()) as SignedTreeHead);
    } catch {
      // the process the round robin picked is down: the next kill's heads will do
    }
  };

  const tally: Tally = {
    acknowledged: new Map(),
    dropped: new Map(),
    unexpected: [],
    networkErrors: { n: 0 },
    done: false,
  };
  let finished = 0;
  let loops: Promise<void>[] = [];
  let killer: Promise<void> = Promise.resolve();
  const volunteers: SimVolunteer[] = [];
  const researcher = new Researcher(url, token);
  let job = '';
  let cutLines = 0;
  try {
    job = await researcher.createSquareJob({
      leaseSeconds,
      costPerWorkUnit: COST,
      // Generous limits: every kill turns the leases in flight into errors, and this run is about
      // durability, not about when a work unit should give up.
      redundancy: { minQuorum: 2, maxTotalResults: 64, maxErrorResults: 64, homogeneous: false },
    });

    // Kill 1: in the middle of a streamed upload (to the first process). Nothing of it may become visible.
    const cutAfter = 2 + Math.floor(random() * 15);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === cutAfter) {
          await kill(0, `mid-upload, after ${sent * 100} of ${o.workUnits} lines`);
          controller.close();
          return;
        }
        const from = sent * 100;
        controller.enqueue(new TextEncoder().encode(squareLines(from, Math.min(100, o.workUnits - from))));
        sent++;
        await sleep(5);
      },
    });
    const cut = await fetch(grid.url(0) + API.workUnits(job), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
      body,
      duplex: 'half',
    } as RequestInit).then(
      (r) => `answered ${r.status}`,
      () => 'cut off',
    );
    check(cut === 'cut off', `the upload was ${cut}, not cut off`);
    cutLines = sent * 100;
    await restart(0);
    const afterCut = await researcher.progress(job);
    check(Object.values(afterCut.counts).reduce((a, b) => a + b, 0) === 0, 'half an upload is visible');
    // Uploaded in batches of 10,000 lines, each well inside the request's time limit on a busy machine.
    for (let from = 0; from < o.workUnits; from += 10_000) {
      const added = await researcher.addSquares(job, from, Math.min(10_000, o.workUnits - from));
      check(added.status === 200, `upload of ${from}.. answered ${added.status}`);
    }
    log(`uploaded ${o.workUnits} work units at ${since()} s`);

    for (let i = 0; i < o.volunteers; i++) volunteers.push(await SimVolunteer.create(url));
    // A volunteer that leases and is never heard of again: its leases run out while the grid runs,
    // and their work units must be reissued to the others.
    const deserter = await SimVolunteer.create(url);
    check((await deserter.lease(DESERTED)).leases.length === DESERTED, 'the deserter got its leases');
    loops = volunteers.map((v, i) => volunteerLoop(v, seededRandom(o.seed + 1 + i), tally));

    // Kills 2..: at random points of the run, each after a random number of acknowledged results plus a
    // random few milliseconds, of a random process; one restart is itself killed while starting up.
    const targets = Array.from({ length: o.kills }, () => Math.floor((0.05 + 0.8 * random()) * 2 * o.workUnits)).sort(
      (a, b) => a - b,
    );
    const startupKill = Math.floor(random() * o.kills);
    // One outage outlasts the leases: the time the grid was down is given back to them, so the results the
    // volunteers held across it are still accepted. With several processes, that outage takes them all.
    const longOutage = Math.floor(random() * o.kills);
    killer = (async () => {
      for (const [k, target] of targets.entries()) {
        while (tally.acknowledged.size < target) {
          if (tally.done) return;
          await sleep(2);
        }
        await sleep(random() * 40);
        await takeHead();
        const victim = Math.floor(random() * o.processes);
        const everyone = k === longOutage ? [...Array(o.processes).keys()] : [victim];
        for (const i of everyone) await kill(i, `run, after ${tally.acknowledged.size} acknowledged results`);
        await sleep(k === longOutage ? leaseSeconds * 1000 + 1500 : random() * 200);
        if (k === startupKill) {
          const delay = Math.floor(random() * 800);
          const child = grid.spawn(victim);
          await sleep(delay);
          await kill(victim, `${child.running ? '' : 'after exit, '}${delay} ms into a restart`);
        }
        for (const i of everyone) await restart(i);
        await takeHead();
        log(`kill ${k + 1}/${o.kills} done at ${since()} s, ${tally.acknowledged.size} results acknowledged`);
      }
    })();
    let killerFailed: Error | null = null;
    killer.catch((e: Error) => {
      killerFailed = e;
    });

    // Done when the researcher sees every work unit validated; a stall fails with what it knows.
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
      if (validated === o.workUnits) break;
      if (validated !== last) lastChange = performance.now();
      last = validated;
      const allUp = [...Array(o.processes).keys()].every((i) => grid.running(i));
      if (allUp && performance.now() - Math.max(lastChange, upSince) > (o.stallMs ?? 30_000))
        throw new Error(
          `${context}: stuck at ${validated}/${o.workUnits} validated; kills: ${kills.join('; ')}\n${grid.output}`,
        );
    }
    await killer;
    finished = (performance.now() - started) / 1000;
    log(`all ${o.workUnits} work units validated at ${since()} s`);
  } finally {
    // Also on failure: no volunteer or restart may outlive the run.
    tally.done = true;
    await killer.catch(() => undefined);
    await Promise.all(loops);
  }

  check(tally.unexpected.length === 0, `unexpected answers: ${tally.unexpected.slice(0, 5).join('; ')}`);
  // Only a lease that ran out while the grid was up (a slow round on a loaded machine) may be refused: its
  // time does not run while the grid is down. A token survives restarts (its key is stored).
  const refused = [...tally.dropped.keys()].filter((c) => c !== 'lease_expired');
  check(refused.length === 0, `results refused for ${refused.join(', ')}`);
  check(kills.length >= o.kills + 1, `only ${kills.length} kills`);

  // Exactly one canonical, correct result per work unit.
  const results = await researcher.results(job);
  check(results.length === o.workUnits, `${results.length} results for ${o.workUnits} work units`);
  check(new Set(results.map((r) => r.workUnit)).size === results.length, 'a work unit has two results');
  for (const r of results)
    if (
      r.state !== 'validated' ||
      toHex(fromBase64(String(r.output))) !== toHex(square(squareInput(Number(String(r.tag).slice(2)))))
    )
      problems.push(`${context}: result ${JSON.stringify(r).slice(0, 200)} is wrong`);

  // Every receipt checks out with the independent verifier, against a signed head of the whole log; every
  // process signs the same head for the same log.
  const { publicKey } = (await (await fetch(url + API.wellKnown)).json()) as { publicKey: string };
  const head = (await (await fetch(grid.url(0) + API.treeHead)).json()) as SignedTreeHead;
  check((await verifyTreeHead(head, publicKey)).ok, 'the final tree head does not verify');
  for (let i = 1; i < o.processes; i++) {
    const other = await (await fetch(grid.url(i) + API.treeHead)).json();
    check(JSON.stringify(other) === JSON.stringify(head), `process ${i} signs another head: ${JSON.stringify(other)}`);
  }
  heads.push(head);
  // The log only grew: each head verifies, and a consistency proof links each to the next bigger one.
  const bySize = [...new Map(heads.map((h) => [h.head.size, h])).values()].sort((a, b) => a.head.size - b.head.size);
  for (const h of bySize)
    check((await verifyTreeHead(h, publicKey)).ok, `the head of size ${h.head.size} does not verify`);
  for (let i = 1; i < bySize.length; i++) {
    const a = bySize[i - 1] as SignedTreeHead;
    const b = bySize[i] as SignedTreeHead;
    if (a.head.size === 0) continue;
    const proof = await (await fetch(`${url}${API.consistency}?from=${a.head.size}&to=${b.head.size}`)).json();
    check(
      await verifyConsistency(proof, fromHex(a.head.root), fromHex(b.head.root)),
      `no consistency from ${a.head.size} to ${b.head.size}`,
    );
  }
  // A seeded sample: a few receipts from a random place in each volunteer's history.
  let verified = 0;
  for (const v of volunteers) {
    const after = Math.floor(random() * 0.8 * 2 * o.workUnits) - 1;
    const page = await v.get<{ receipts: unknown[] }>(`${API.receipts}?after=${after}&limit=${RECEIPT_SAMPLE}`);
    check(page.status === 200, `receipts answered ${page.status}`);
    for (const r of page.body.receipts) {
      const checked = await verifyReceipt(r, publicKey);
      check(checked.ok && checked.value.volunteer === v.key, 'a receipt does not verify');
      verified++;
    }
  }
  check(verified > o.volunteers, `only ${verified} receipts verified`);

  const exits = await grid.stop();
  for (const [i, exit] of exits.entries())
    check(
      exit.code === 0 && exit.signal === null,
      `process ${i} did not stop cleanly: ${JSON.stringify(exit)}\n${grid.output}`,
    );
  await front?.proxy.close();

  const report = await checkRows(
    o,
    tally,
    { lines: cutLines, mayStayStaged: o.databaseUrl !== undefined },
    context,
    problems,
  );
  return {
    problems,
    kills,
    acknowledged: tally.acknowledged.size,
    dropped: tally.dropped,
    networkErrors: tally.networkErrors.n,
    expiredLeases: report.expired,
    receipts: report.receipts,
    heads: bySize.length,
    finishedSeconds: finished,
    checkedSeconds: (performance.now() - started) / 1000,
  };
}
