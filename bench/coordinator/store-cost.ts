// `tsx bench/coordinator/store-cost.ts`: the SQLite store alone, in process, no HTTP: how much of a task
// result's cost is the store's, and how much of that is the per-commit fsync that `synchronous = FULL`
// adds. Pairs of volunteers lease the same batch and submit it, exactly as in run.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateJobRequest, type JobId, type ProjectId, type VolunteerKey } from '@bricolage/protocol';
import { seededRandom, systemClock } from '../../apps/coordinator/src/clock';
import { DEFAULT_CONFIG } from '../../apps/coordinator/src/config';
import { sha256Hex } from '../../apps/coordinator/src/hash';
import { createProject, stepLimits } from '../../apps/coordinator/src/server';
import { CoordinatorStore } from '../../apps/coordinator/src/store/coordinator-store';
import { SqlitePersistence } from '../../apps/coordinator/src/store/sqlite/sqlite-persistence';
import { square, squareInput, squareJob } from '../../apps/coordinator/src/testing/fixtures';
import { GPU_CAPABILITIES } from '../../apps/coordinator/src/testing/sim-volunteer';
import type { SubmitItem } from '../../apps/coordinator/src/store/store';

const { values: args } = parseArgs({
  options: {
    results: { type: 'string', default: '40000' },
    batch: { type: 'string', default: '100' },
    json: { type: 'boolean', default: false },
  },
});

interface Cost {
  readonly synchronous: string;
  readonly results_per_s: number;
  readonly lease_us_per_result: number;
  readonly submit_us_per_result: number;
  readonly cpu_us_per_result: number;
}

async function measure(synchronous: 'FULL' | 'NORMAL', results: number, batch: number): Promise<Cost> {
  const dir = mkdtempSync(join(tmpdir(), 'bricolage-store-cost-'));
  const store = new CoordinatorStore(
    new SqlitePersistence({ path: join(dir, 'bricolage.sqlite'), durable: synchronous === 'FULL' }),
    {
      random: seededRandom(1),
      ...stepLimits(DEFAULT_CONFIG),
      staleUploadMs: DEFAULT_CONFIG.requestTimeoutMs,
    },
  );
  try {
    await store.claimLogKey('A'.repeat(43));
    const { project } = await createProject(store, systemClock, 'store-cost');
    const job = `job_${synchronous.toLowerCase()}` as JobId;
    await store.createJob({
      id: job,
      project: project as ProjectId,
      state: 'active',
      definition: CreateJobRequest.parse(squareJob({ leaseSeconds: 600 })),
      createdAt: Date.now(),
    });
    const units = Math.ceil(results / 2);
    for (let from = 0; from < units; from += 1000) {
      const chunk = Array.from({ length: Math.min(1000, units - from) }, (_, i) => {
        const input = squareInput(from + i);
        return { input, inputHash: sha256Hex(input), expected: null, expectedHash: null, tag: `n=${from + i}` };
      });
      await store.stageWorkUnits(job, 'b', chunk, Date.now());
    }
    const committed = await store.commitBatch(job, 'b', units, Date.now());
    if (!committed.ok) throw new Error(committed.error.message);

    let leaseUs = 0;
    let submitUs = 0;
    let done = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let round = 0; done < units * 2; round++) {
      for (const volunteer of [`a${round % 8}`, `b${round % 8}`] as VolunteerKey[]) {
        let t = performance.now();
        const { granted } = await store.lease({ volunteer, capabilities: GPU_CAPABILITIES, max: batch }, Date.now());
        leaseUs += (performance.now() - t) * 1000;
        const items: SubmitItem[] = granted.map((g) => {
          const output = square(g.input as Uint8Array);
          return { kind: 'ok', lease: g.lease, output, outputHash: sha256Hex(output), backend: 'webgpu' };
        });
        t = performance.now();
        const r = await store.submit(volunteer, items, Date.now());
        submitUs += (performance.now() - t) * 1000;
        if (!r.ok) throw new Error(r.error.message);
        done += r.value.accepted;
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return {
      synchronous,
      results_per_s: Math.round(done / seconds),
      lease_us_per_result: Math.round(leaseUs / done),
      submit_us_per_result: Math.round(submitUs / done),
      cpu_us_per_result: Math.round((cpu.user + cpu.system) / done),
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = Number(args.results);
const batch = Number(args.batch);
const costs: Cost[] = [];
for (const synchronous of ['FULL', 'NORMAL'] as const) {
  const c = await measure(synchronous, results, batch);
  costs.push(c);
  if (!args.json)
    console.log(
      `store only, batch ${batch}, synchronous=${c.synchronous}: ${c.results_per_s} results/s; per result ` +
        `lease ${c.lease_us_per_result} µs + submit ${c.submit_us_per_result} µs wall, ${c.cpu_us_per_result} µs CPU`,
    );
}
if (args.json) console.log(JSON.stringify({ batch, results, costs }));
