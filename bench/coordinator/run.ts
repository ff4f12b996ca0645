// `npm run bench:coordinator`: accepted task results per second through the coordinator's HTTP API,
// set against bare `GET /healthz` requests per second from the same client in the same run.
// The coordinator runs as a child process (its `npm start` entry, fresh data directory, no demo) so
// its CPU time and peak RSS are its own. Simulated volunteers compute `square`, which costs nothing.
// `--store postgres --processes 1,2,4` runs a grid of that many coordinator processes on one Postgres
// (started here, in a temporary directory) for each count, after one SQLite coordinator as the yardstick;
// the client sends each request to the next process in turn (no sticky sessions).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { API, type Lease, type LeaseResponse, fromBase64 } from '@bricolage/protocol';
import { systemClock } from '../../apps/coordinator/src/clock';
import { DEFAULT_CONFIG } from '../../apps/coordinator/src/config';
import { createProject, openStore } from '../../apps/coordinator/src/server';
import { ChildGrid } from '../../apps/coordinator/src/testing/child-grid';
import { Researcher, square } from '../../apps/coordinator/src/testing/fixtures';
import { type PostgresServer, startPostgres } from '../../apps/coordinator/src/testing/postgres-server';
import { GPU_CAPABILITIES, SimVolunteer, okResult } from '../../apps/coordinator/src/testing/sim-volunteer';
import { HttpClient, type Reply } from './http-client';
import { type ProfileSummary, summarizeProfile } from './profile';

const { values: args } = parseArgs({
  options: {
    results: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '200' },
    volunteers: { type: 'string', default: '32' },
    'bare-seconds': { type: 'string', default: '5' },
    profile: { type: 'boolean', default: false },
    /** sqlite (one process), or postgres (a grid per --processes count, plus one SQLite run to compare). */
    store: { type: 'string', default: 'sqlite' },
    processes: { type: 'string', default: '1' },
    /** Another entry script in place of main.ts: a what-if build of the coordinator. */
    entry: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

export interface RunFigures {
  readonly store: 'sqlite' | 'postgres';
  readonly processes: number;
  readonly results: number;
  readonly results_per_s: number;
  readonly bare_rps: number;
  readonly ratio: number;
  /** The ratio were both phases bound by the coordinator's CPU alone: bare-request CPU / result CPU. */
  readonly cpu_ratio: number;
  readonly p99_ms: number;
  readonly batch: number;
  readonly volunteers: number;
  readonly cpu_us_per_result: number;
  readonly peak_rss_mb: number;
  readonly lease_p50_ms: number;
  readonly lease_p99_ms: number;
  readonly submit_p50_ms: number;
  readonly submit_p99_ms: number;
  readonly cpu_us_per_bare_request: number;
  readonly client_cpu_us_per_result: number;
  readonly upload_wu_per_s: number;
  readonly seconds: number;
  readonly throttled: number;
  /** Requests resent because a keep-alive socket was reset before the server read them. */
  readonly reset_retries: number;
  /** Other work on the machine skews every figure: the 1-minute load average when the run began. */
  readonly load_at_start: number;
}

// With --json, stdout carries only the final JSON line; the human-readable figures go to stderr.
const log = (line: string) => (args.json ? console.error(line) : console.log(line));

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Latencies in ms, kept in a growable typed array: 200,000 results make only a few thousand requests. */
class Latencies {
  private values = new Float64Array(1024);
  private n = 0;
  add(ms: number): void {
    if (this.n === this.values.length) {
      const grown = new Float64Array(this.n * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.n++] = ms;
  }
  sorted(): Float64Array {
    return this.values.slice(0, this.n).sort();
  }
}

/** One HTTP client per coordinator process; each request goes to the next process in turn. */
class RotatingClient {
  readonly #clients: HttpClient[];
  #next = 0;
  constructor(urls: readonly string[], sockets: number) {
    this.#clients = urls.map((u) => new HttpClient(u, sockets));
  }
  send<T>(method: 'GET' | 'POST', path: string, json?: unknown, token?: string): Promise<Reply<T>> {
    const client = this.#clients[this.#next++ % this.#clients.length] as HttpClient;
    return client.send<T>(method, path, json, token);
  }
  get retried(): number {
    return this.#clients.reduce((n, c) => n + c.retried, 0);
  }
  close(): void {
    for (const c of this.#clients) c.close();
  }
}

interface Target {
  readonly store: 'sqlite' | 'postgres';
  readonly processes: number;
  /** A fresh database on the run's Postgres server. */
  readonly databaseUrl?: string;
}

async function run(target: number, batch: number, volunteerCount: number, where: Target): Promise<RunFigures> {
  const workUnits = Math.ceil(target / 2);
  const load = loadavg()[0] as number;
  const dir = mkdtempSync(join(tmpdir(), 'bricolage-bench-'));
  const profileDir = args.profile ? mkdtempSync(join(PROFILES, `batch${batch}-`)) : '';
  let grid: ChildGrid | null = null;
  const onSignal = () => {
    grid?.killAll();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  const db = where.databaseUrl ? { databaseUrl: where.databaseUrl } : {};
  try {
    const offline = await openStore(dir, DEFAULT_CONFIG, Math.random, db);
    const { token } = await createProject(offline, systemClock, 'bench');
    await offline.close();
    grid = await ChildGrid.start({
      dataDir: dir,
      processes: where.processes,
      ...db,
      nodeArgs: args.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
      ...(args.entry ? { entry: resolve(args.entry) } : {}),
    });
    const children = Array.from({ length: grid.size }, (_, i) => (grid as ChildGrid).child(i));
    const cpuMicros = () => children.reduce((n, c) => n + c.cpuMicros(), 0);
    const url = grid.url(0);
    const researcher = new Researcher(url, token);
    const job = await researcher.createSquareJob({ leaseSeconds: 600 });

    const uploadStart = performance.now();
    const added = await researcher.addSquares(job, 0, workUnits);
    if (added.status !== 200) throw new Error(`work unit upload failed: ${await added.text()}`);
    const uploadSeconds = (performance.now() - uploadStart) / 1000;
    log(`uploaded ${workUnits} work units in one NDJSON request: ${(workUnits / uploadSeconds).toFixed(0)} WU/s`);

    const volunteers = await Promise.all(Array.from({ length: volunteerCount }, () => SimVolunteer.create(url)));
    const leaseMs = new Latencies();
    const submitMs = new Latencies();
    let accepted = 0;
    let throttled = 0;

    // Each volunteer leases a batch, computes it and submits it, until nothing is left to lease. Work units
    // are handed out lowest id first, so two volunteers leasing one after the other share a batch: quorum 2.
    const http = new RotatingClient(grid.urls, volunteerCount);
    const volunteer = async (v: SimVolunteer) => {
      for (;;) {
        let t = performance.now();
        const leased = await http.send<LeaseResponse>(
          'POST',
          API.lease,
          { capabilities: GPU_CAPABILITIES, max: batch },
          v.bearer,
        );
        leaseMs.add(performance.now() - t);
        if (leased.status === 429) {
          throttled++;
          await new Promise((r) => setTimeout(r, 10));
          continue;
        }
        if (leased.status !== 200) throw new Error(`lease: ${leased.status} ${JSON.stringify(leased.body)}`);
        const leases: Lease[] = leased.body.leases;
        if (leases.length === 0) return;
        const results = leases.map((l) => okResult(l, square(fromBase64(l.input ?? ''))));
        for (;;) {
          t = performance.now();
          const reply = await http.send<unknown>('POST', API.submit, { results }, v.bearer);
          submitMs.add(performance.now() - t);
          if (reply.status === 200) {
            accepted += (reply.body as { accepted: number }).accepted;
            break;
          }
          if (reply.status !== 429) throw new Error(`submit: ${reply.status} ${JSON.stringify(reply.body)}`);
          throttled++;
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    };

    // The same client machinery and concurrency on the cheapest route there is, half before the results
    // phase and half after, so a change in the machine's other load during the run touches both sides.
    const bareMs = (Number(args['bare-seconds']) * 1000) / 2;
    const bare = { requests: 0, ms: 0, cpu: 0 };
    const measureBare = async () => {
      const cpu = cpuMicros();
      const b0 = performance.now();
      await Promise.all(
        volunteers.map(async () => {
          while (performance.now() - b0 < bareMs) {
            const reply = await http.send('GET', API.health);
            if (reply.status !== 200) throw new Error(`healthz: ${reply.status}`);
            bare.requests++;
          }
        }),
      );
      bare.ms += performance.now() - b0;
      bare.cpu += cpuMicros() - cpu;
    };
    await measureBare();

    const cpu0 = cpuMicros();
    const client0 = process.cpuUsage();
    const t0 = performance.now();
    const mono0 = process.hrtime.bigint();
    const progress = setInterval(
      () => log(`  ${accepted} results, ${(accepted / ((performance.now() - t0) / 1000)).toFixed(0)}/s`),
      5000,
    );
    try {
      await Promise.all(volunteers.map(volunteer));
    } finally {
      clearInterval(progress);
    }
    const seconds = (performance.now() - t0) / 1000;
    const mono1 = process.hrtime.bigint();
    const cpuResults = cpuMicros() - cpu0;
    const client = process.cpuUsage(client0);
    const counts = (await researcher.progress(job)).counts;
    if (accepted !== workUnits * 2 || counts.validated !== workUnits)
      throw new Error(
        `expected ${workUnits * 2} results and ${workUnits} validated, got ${accepted} and ${counts.validated}`,
      );

    await measureBare();
    // Summed over the processes: the memory the grid took.
    const peak = children.reduce((n, c) => n + c.peakRssBytes(), 0);
    http.close();

    const exits = await grid.stop();
    if (exits.some((e) => e.code !== 0))
      throw new Error(`a coordinator exited with ${JSON.stringify(exits)}:\n${grid.output}`);
    grid = null;
    if (args.profile) printProfile(summarizeProfile(profileDir, mono0 / 1000n, mono1 / 1000n));

    const lease = leaseMs.sorted();
    const submit = submitMs.sorted();
    const all = new Float64Array([...lease, ...submit]).sort();
    const resultsPerS = accepted / seconds;
    const bareRps = bare.requests / (bare.ms / 1000);
    return {
      store: where.store,
      processes: where.processes,
      results: accepted,
      results_per_s: Math.round(resultsPerS),
      bare_rps: Math.round(bareRps),
      ratio: Number((resultsPerS / bareRps).toFixed(3)),
      cpu_ratio: Number((bare.cpu / bare.requests / (cpuResults / accepted)).toFixed(3)),
      p99_ms: round2(percentile(all, 99)),
      batch,
      volunteers: volunteerCount,
      cpu_us_per_result: round2(cpuResults / accepted),
      peak_rss_mb: Math.round(peak / 2 ** 20),
      lease_p50_ms: round2(percentile(lease, 50)),
      lease_p99_ms: round2(percentile(lease, 99)),
      submit_p50_ms: round2(percentile(submit, 50)),
      submit_p99_ms: round2(percentile(submit, 99)),
      cpu_us_per_bare_request: round2(bare.cpu / bare.requests),
      client_cpu_us_per_result: round2((client.user + client.system) / accepted),
      upload_wu_per_s: Math.round(workUnits / uploadSeconds),
      seconds: round2(seconds),
      throttled,
      reset_retries: http.retried,
      load_at_start: round2(load),
    };
  } catch (e) {
    if (grid) console.error(`coordinators' output:\n${grid.output}`);
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    await grid?.killAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

const round2 = (x: number) => Math.round(x * 100) / 100;
/** Where `--profile` leaves the coordinator's .cpuprofile files (gitignored), for Chrome DevTools. */
const PROFILES = resolve(import.meta.dirname, '../../.bench/coordinator');

function printProfile(p: ProfileSummary): void {
  log(`coordinator CPU profile of the results phase (${p.sampledMs.toFixed(0)} ms sampled, self time):`);
  log('  by area:');
  for (const a of p.byArea.slice(0, 14)) log(`    ${a.share.toFixed(1).padStart(5)}%  ${a.name}`);
  log('  by function:');
  for (const f of p.byFunction.slice(0, 25)) log(`    ${f.share.toFixed(1).padStart(5)}%  ${f.name}`);
  log(`  profile: ${p.file}`);
}

function print(f: RunFigures): void {
  const on = f.store === 'sqlite' ? 'SQLite' : `Postgres, ${f.processes} process${f.processes > 1 ? 'es' : ''}`;
  log(`${on}: batch ${f.batch}, ${f.volunteers} volunteers, ${f.results} task results in ${f.seconds} s`);
  log(`  accepted task results/s   ${f.results_per_s}`);
  log(`  bare GET /healthz req/s   ${f.bare_rps}`);
  log(`  ratio                     ${f.ratio} (by coordinator CPU alone: ${f.cpu_ratio})`);
  log(`  lease  p50 / p99          ${f.lease_p50_ms} / ${f.lease_p99_ms} ms`);
  log(`  submit p50 / p99          ${f.submit_p50_ms} / ${f.submit_p99_ms} ms`);
  log(`  coordinator CPU/result    ${f.cpu_us_per_result} µs (bare request: ${f.cpu_us_per_bare_request} µs)`);
  log(`  client CPU/result         ${f.client_cpu_us_per_result} µs`);
  log(`  coordinator peak RSS      ${f.peak_rss_mb} MB`);
  if (f.throttled > 0) log(`  throttled (429)           ${f.throttled} requests`);
  if (f.reset_retries > 0) log(`  resent after a reset      ${f.reset_retries} requests (keep-alive race)`);
  log(`  load average at start     ${f.load_at_start} (2 cores)`);
}

if (args.profile) mkdirSync(PROFILES, { recursive: true });
const target = Number(args.results);
const volunteers = Number(args.volunteers);
const batches = String(args.batch).split(',').map(Number);
if (!(target > 0) || !(volunteers > 0) || batches.some((b) => !(b > 0 && b <= 256)))
  throw new Error('usage: --results N --volunteers V --batch B[,B...] (1..256: the per-volunteer lease cap)');
const counts = String(args.processes).split(',').map(Number);
if (args.store !== 'sqlite' && args.store !== 'postgres') throw new Error('--store is sqlite or postgres');
if (counts.some((n) => !(Number.isInteger(n) && n >= 1 && n <= 16))) throw new Error('--processes N[,N...] (1..16)');
if (args.store === 'sqlite' && (counts.length > 1 || counts[0] !== 1))
  throw new Error('several processes need --store postgres: SQLite is one coordinator per data directory');
log(`coordinator benchmark: ${target} task results per run, quorum 2, ${volunteers} volunteers`);

if (args.store === 'postgres') {
  const batch = batches.at(-1) as number;
  const started = await startPostgres();
  if (!started.ok) throw new Error(`no Postgres: ${started.why}`);
  const server: PostgresServer = started.server;
  try {
    // SQLite first, in the same run: the figure the grids are held against.
    const sqlite = await run(target, batch, volunteers, { store: 'sqlite', processes: 1 });
    print(sqlite);
    const grids: RunFigures[] = [];
    for (const processes of counts) {
      const databaseUrl = await server.createDatabase();
      try {
        const figures = await run(target, batch, volunteers, { store: 'postgres', processes, databaseUrl });
        print(figures);
        grids.push(figures);
      } finally {
        await server.dropDatabase(databaseUrl);
      }
    }
    if (args.json) {
      const entry = (f: RunFigures) => ({
        store: f.store,
        processes: f.processes,
        results_per_s: f.results_per_s,
        p99_ms: f.p99_ms,
        cpu_us_per_result: f.cpu_us_per_result,
        batch: f.batch,
        load_at_start: f.load_at_start,
      });
      console.log(JSON.stringify({ sqlite: entry(sqlite), postgres: grids.map(entry) }));
    }
  } finally {
    await server.stop();
  }
} else {
  const runs: RunFigures[] = [];
  for (const batch of batches) {
    const figures = await run(target, batch, volunteers, { store: 'sqlite', processes: 1 });
    print(figures);
    runs.push(figures);
  }
  // The last run is the headline; a sweep lists every point.
  const headline = runs.at(-1) as RunFigures;
  if (args.json) console.log(JSON.stringify(runs.length > 1 ? { ...headline, sweep: runs } : headline));
}
