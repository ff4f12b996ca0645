// The pipeline's fakes, shared by its tests: a coordinator's lease side with `n` units, compute that doubles
// bytes, and a pipeline over them with a memory outbox.
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
