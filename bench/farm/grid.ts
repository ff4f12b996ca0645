// A grid of its own for each benchmark point: the coordinator's `npm start` entry as a child process
// (so its CPU is measured apart from the browsers'), a fresh data directory, and one primes job fed
// over the public API, the way a researcher feeds it.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API, type WorkUnitCounts, sha256Hex, toBase64 } from '@bricolage/protocol';
import { primes } from '@bricolage/workloads';
import { buildJob } from '@bricolage/workloads/node';
import { systemClock } from '../../apps/coordinator/src/clock';
import { DEFAULT_CONFIG } from '../../apps/coordinator/src/config';
import { createProject, openStore } from '../../apps/coordinator/src/server';
import { ChildCoordinator } from '../../apps/coordinator/src/testing/child-coordinator';
import { Researcher } from '../../apps/coordinator/src/testing/fixtures';

/** Node's fetch reports a socket the server closed, or a refused connection, as this TypeError. */
const lostConnection = (e: unknown) => e instanceof TypeError && e.message === 'fetch failed';

/** The whole range the workload allows; work units cycle through its segments. */
const LIMIT = 2 ** 31;

export class Grid {
  /** Work units added so far. */
  workUnits = 0;
  private readonly inputs: string[];

  private constructor(
    readonly dir: string,
    readonly child: ChildCoordinator,
    readonly url: string,
    private readonly researcher: Researcher,
    readonly job: string,
    segment: number,
  ) {
    // Every segment of [0, 2^31), base64, each line of the upload; the cycle repeats as work is added.
    this.inputs = Array.from(primes.workUnits({ limit: LIMIT, segment }), (wu) =>
      JSON.stringify({ input: toBase64(wu.input), tag: wu.tag }),
    );
  }

  /** A coordinator with an empty data directory and one primes job of `segment` integers per work unit. */
  static async start(segment: number, minQuorum: number): Promise<Grid> {
    const dir = mkdtempSync(join(tmpdir(), 'bricolage-bench-farm-'));
    let child: ChildCoordinator | null = null;
    try {
      const offline = await openStore(join(dir, 'data'), DEFAULT_CONFIG, Math.random);
      const { token } = await createProject(offline, systemClock, 'Farm benchmark');
      await offline.close();
      // Peers off: the farm's tabs would look for each other on this machine's real network (bench:peers
      // measures peers, in a network namespace of its own).
      const started = await ChildCoordinator.start({ dataDir: join(dir, 'data'), env: { PEERS: '0' } });
      child = started.child;
      const researcher = new Researcher(started.url, token);
      const bundle = await buildJob(primes, { limit: LIMIT, segment });
      for (const blob of bundle.blobs) {
        const put = await researcher.request('PUT', API.blob(await sha256Hex(blob)), blob as Uint8Array<ArrayBuffer>);
        if (!put.ok) throw new Error(`blob upload failed: ${await put.text()}`);
      }
      // Adaptive replication off: it would let trusted tabs validate alone, and the work per point would then
      // depend on when each tab earned trust. Every work unit takes exactly `minQuorum` results.
      const request = {
        ...bundle.request,
        redundancy: { minQuorum, maxTotalResults: minQuorum + 2, maxErrorResults: 2, homogeneous: false },
        adaptive: { enabled: false, trustAfter: 10, spotCheckRate: 0.1 },
      };
      const created = await researcher.request('POST', API.jobs, JSON.stringify(request));
      if (!created.ok) throw new Error(`job creation failed: ${await created.text()}`);
      const job = ((await created.json()) as { id: string }).id;
      return new Grid(dir, child, started.url, researcher, job, segment);
    } catch (e) {
      await child?.kill();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /**
   * Appends `count` work units to the job, continuing the cycle through the segments. An upload whose reply
   * was lost is looked for in the job's counts before it is sent again, so work is never added twice.
   */
  async addWork(count: number): Promise<void> {
    let body = '';
    for (let i = 0; i < count; i++) body += `${this.inputs[(this.workUnits + i) % this.inputs.length]}\n`;
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.researcher.request('POST', API.workUnits(this.job), body, 'application/x-ndjson');
        if (!res.ok) throw new Error(`work unit upload failed: ${res.status} ${await res.text()}`);
        break;
      } catch (e) {
        if (!lostConnection(e) || attempt >= 3) throw e;
        const total = Object.values(await this.counts()).reduce((n, c) => n + c, 0);
        if (total === this.workUnits + count) break;
      }
    }
    this.workUnits += count;
  }

  /** The job's work units by state. */
  async counts(): Promise<WorkUnitCounts> {
    // Under load this process can be starved long enough for the server to close an idle keep-alive socket
    // just as a request goes out on it (`fetch failed: other side closed`); a read is safe to repeat.
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.researcher.progress(this.job)).counts;
      } catch (e) {
        if (!lostConnection(e) || attempt >= 3) throw e;
      }
    }
  }

  /** The coordinator's user + system CPU seconds so far. */
  cpuSeconds(): number {
    return this.child.cpuMicros() / 1e6;
  }

  /** The coordinator's resident set size now, in bytes. */
  rssBytes(): number {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.child.pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  }

  async close(): Promise<void> {
    try {
      const exit = await this.child.stop();
      if (exit.code !== 0 && exit.signal !== 'SIGTERM')
        console.error(`coordinator exited with ${exit.signal ?? exit.code}:\n${this.child.output.slice(-2000)}`);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
