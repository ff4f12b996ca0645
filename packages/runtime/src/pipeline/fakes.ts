// The pipeline's fakes, shared by its tests: a coordinator's lease side with `n` units, compute that doubles
// bytes, and a pipeline over them with a memory outbox; compute on a clock the test moves, and a worker's limits.
import type { BlobHash, Capabilities, JobId, LeaseId, LeasedJob, ProjectId, WorkUnitId } from '@bricolage/protocol';
import { sha256Hex, toBase64 } from '@bricolage/protocol';
import type { ComputeOutcome } from '../compute/api';
import type { VolunteerEvent } from '../events';
import type { Interrupted } from '../host';
import { MemoryOutbox, type Outbox } from '../outbox';
import { Pipeline, type PipelineClient, type PipelineClock, type PipelineCompute } from './pipeline';

export const H = '0'.repeat(64) as BlobHash;
export const job: LeasedJob = {
  id: 'job_aaaaaaaaaaaaaaaa' as JobId,
  project: 'prj_aaaaaaaaaaaaaaaa' as ProjectId,
  name: 'double',
  spec: {
    kind: 'wgsl',
    shader: H,
    entryPoint: 'main',
    bindings: [
      { binding: 0, name: 'x', type: 'read', role: 'input', size: 4 },
      { binding: 1, name: 'y', type: 'read_write', role: 'output', size: 4 },
    ],
    dispatch: [1, 1, 1],
    wasm: { module: H, export: 'run' },
    forbidNaN: false,
  },
  comparator: { kind: 'exact' },
  timeBudgetMs: 1000,
  backend: 'wasm',
  signature: null,
};
export const capabilities = {
  webgpu: null,
  wasm: true,
  onnx: { providers: ['wasm' as const] },
  hardwareConcurrency: 2,
  backends: { wgsl: 'wasm' as const, onnx: 'onnx-wasm' as const },
};

/** A coordinator with `n` work units whose inputs are [i, i, i, i]. */
export async function fakeClient(n: number, options: { deadline?: number; job?: LeasedJob } = {}) {
  const leased = options.job ?? job;
  const inputs = Array.from({ length: n }, (_, i) => new Uint8Array(4).fill(i + 1));
  const hashes = await Promise.all(inputs.map((i) => sha256Hex(i)));
  let next = 0;
  const log: string[] = [];
  const client: PipelineClient = {
    async lease({ max }) {
      const leases = [];
      while (leases.length < (max ?? 1) && next < n) {
        const i = next++;
        log.push(`lease ${i + 1}`);
        leases.push({
          lease: `ls_${i + 1}` as LeaseId,
          workUnit: `wu_${i + 1}` as WorkUnitId,
          job: leased.id,
          deadline: options.deadline ?? Date.now() + 60_000,
          inputHash: hashes[i] as BlobHash,
          input: toBase64(inputs[i]!),
        });
      }
      return { ok: true, value: { leases, jobs: leases.length ? [leased] : [], retryAfter: leases.length ? null : 1 } };
    },
    async blob() {
      return { ok: false, error: { code: 'not_found', message: 'none', status: 404, transient: false } };
    },
    async heartbeat() {
      return { ok: true, value: { leases: [] } };
    },
  };
  return { client, log };
}

/** Compute that doubles every byte after `delayMs`, or does what `override` says for some inputs. */
export function fakeCompute(
  log: string[],
  options: {
    delayMs?: number;
    override?: (first: number) => ComputeOutcome | Interrupted | undefined;
    /** Where the backend of each prepare() goes. */
    prepared?: string[];
  } = {},
): PipelineCompute {
  return {
    async prepare(_job, _spec, backend) {
      options.prepared?.push(backend);
      return { ok: true };
    },
    async run(_job, sent) {
      // Like the real host, which transfers the input to the worker: the caller's buffer is detached.
      const input = sent.slice();
      structuredClone(sent.buffer, { transfer: [sent.buffer as ArrayBuffer] });
      const first = input[0]!;
      log.push(`run ${first}`);
      await new Promise((r) => setTimeout(r, options.delayMs ?? 1));
      log.push(`done ${first}`);
      const special = options.override?.(first);
      if (special) return special;
      const output = input.map((b) => b * 2);
      return { ok: true, output, outputHash: await sha256Hex(output), backend: 'wasm', elapsedMs: 1 };
    },
  };
}

export async function pipelineFor(
  client: PipelineClient,
  compute: PipelineCompute,
  extra: {
    prefetch?: boolean;
    throttle?: number;
    clock?: PipelineClock;
    capabilities?: Capabilities;
    maxIdleWaitMs?: number;
    resume?: boolean;
    outbox?: Outbox;
    pausedHoldMs?: number;
    heartbeatCheckMs?: number;
    jobCheckMs?: number;
  } = {},
) {
  const outbox = extra.outbox ?? new MemoryOutbox();
  const events: VolunteerEvent[] = [];
  const pipeline = new Pipeline({
    client,
    compute,
    assets: async () => new Map(),
    outbox,
    capabilities: extra.capabilities ?? capabilities,
    onResult: () => undefined,
    emit: (e) => events.push(e),
    maxIdleWaitMs: 20,
    ...extra,
  });
  return { pipeline, outbox, events };
}

/** Waits for a condition; the time limit only ends a test that would otherwise hang, it never decides one. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The double job without its wasm twin: WebGPU only. */
export const wgslOnly = (({ wasm: _twin, ...spec }) => spec)(job.spec as Extract<LeasedJob['spec'], { kind: 'wgsl' }>);

/** A software adapter, on which calibration prefers a job's wasm twin. */
export const softwareAdapter: Capabilities = {
  ...capabilities,
  webgpu: {
    vendor: 'google',
    architecture: 'swiftshader',
    description: '',
    isFallbackAdapter: true,
    limits: {
      maxStorageBufferBindingSize: 1 << 30,
      maxBufferSize: 1 << 30,
      maxUniformBufferBindingSize: 65536,
      maxComputeWorkgroupsPerDimension: 65535,
      maxComputeInvocationsPerWorkgroup: 256,
      maxComputeWorkgroupStorageSize: 32768,
      maxStorageBuffersPerShaderStage: 8,
    },
    features: [],
  },
};

/** `inner`, computing at most `atOnce` units at a time like the real worker, counting how many it holds. */
export function workerLike(inner: PipelineCompute, atOnce: number) {
  let held = 0;
  let running = 0;
  const stats = { most: 0 };
  const waiting: (() => void)[] = [];
  const compute: PipelineCompute = {
    prepare: inner.prepare,
    async run(...args) {
      stats.most = Math.max(stats.most, ++held);
      if (running >= atOnce) await new Promise<void>((r) => waiting.push(r));
      running++;
      try {
        return await inner.run(...args);
      } finally {
        running--;
        held--;
        waiting.shift()?.();
      }
    },
  };
  return { compute, stats };
}

/**
 * Compute whose units take `ms` each on a clock the test moves (whatever this machine's load). Each span is
 * given when the unit is handed over, in the order a worker runs them, not in the order the fake's hashing
 * happens to finish: under load it did not, and spans out of order shrank the pipeline's measure.
 */
export function timedCompute(log: string[], ms: number, clock: { t: number }): PipelineCompute {
  const inner = fakeCompute(log);
  return {
    prepare: inner.prepare,
    async run(...args) {
      const startedAt = clock.t;
      clock.t += ms;
      const outcome = await inner.run(...args);
      return outcome.ok ? { ...outcome, startedAt, endedAt: startedAt + ms } : outcome;
    },
  };
}

/**
 * A worker whose units take 1 ms of the test clock each, with `calls` the units of each call to it (1 for `run`).
 * Each unit's span is given in the order of the call, as a worker runs them, not in the order the fake's hashing
 * happens to finish (under load it did not, and spans out of order shrank the measure).
 */
export function oneMillisecondUnits(log: string[], t: { t: number }): { compute: PipelineCompute; calls: number[] } {
  const single = timedCompute(log, 1, t);
  const inner = fakeCompute(log);
  const calls: number[] = [];
  const compute: PipelineCompute = {
    ...single,
    run(...args) {
      calls.push(1);
      return single.run(...args);
    },
    runMany(jobId, inputs, budget, signal) {
      calls.push(inputs.length);
      return inputs.map(async (input, i) => {
        const startedAt = t.t;
        t.t += 1;
        const outcome = await inner.run(jobId, input, budget, signal instanceof AbortSignal ? signal : signal?.[i]);
        return outcome.ok ? { ...outcome, startedAt, endedAt: startedAt + 1 } : outcome;
      });
    },
  };
  return { compute, calls };
}
