// POST /v1/jobs over real HTTP: a job that cannot run is refused at the door with a 4xx that says why,
// and nothing of it is created.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API, type CreateJobRequest, toBase64 } from '@bricolage/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../hash';
import { type Coordinator, startCoordinator } from '../server';
import { Researcher } from '../testing/fixtures';
import { SimVolunteer } from '../testing/sim-volunteer';

/** ys = xs · k, with k a constant binding shared by every work unit. */
const SCALE_WGSL = `@group(0) @binding(0) var<storage, read> xs: array<u32, 4>;
@group(0) @binding(1) var<storage, read> k: array<u32, 4>;
@group(0) @binding(2) var<storage, read_write> ys: array<u32, 4>;
@compute @workgroup_size(4) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  ys[id.x] = xs[id.x] * k[id.x];
}
`;
const utf8 = (s: string) => new TextEncoder().encode(s);
const K = new Uint8Array(new Uint32Array([2, 3, 5, 7]).buffer);

function scaleJob(
  constant: { blob: string; size: number },
  overrides: Partial<CreateJobRequest> = {},
): CreateJobRequest {
  return {
    name: 'scale',
    spec: {
      kind: 'wgsl',
      shader: sha256Hex(utf8(SCALE_WGSL)) as never,
      entryPoint: 'main',
      bindings: [
        { binding: 0, name: 'xs', type: 'read', role: 'input', size: 16 },
        { binding: 1, name: 'k', type: 'read', role: 'constant', size: constant.size, blob: constant.blob as never },
        { binding: 2, name: 'ys', type: 'read_write', role: 'output', size: 16 },
      ],
      dispatch: [1, 1, 1],
    },
    comparator: { kind: 'exact' },
    costPerWorkUnit: 1,
    knownAnswerRate: 0,
    ...overrides,
  };
}

describe('job admission', () => {
  let dir: string;
  let coordinator: Coordinator;
  let researcher: Researcher;

  const put = async (bytes: Uint8Array) => {
    const res = await researcher.request('PUT', API.blob(sha256Hex(bytes)), bytes as never, 'application/octet-stream');
    expect(res.status).toBe(200);
    return sha256Hex(bytes);
  };
  const create = async (request: unknown) => {
    const res = await researcher.request('POST', API.jobs, JSON.stringify(request));
    return {
      status: res.status,
      body: (await res.json()) as { id?: string; error?: { code: string; message: string } },
    };
  };
  const jobCount = async () =>
    ((await (await researcher.request('GET', API.jobs)).json()) as { jobs: unknown[] }).jobs.length;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-admission-'));
    coordinator = await startCoordinator({ dataDir: dir, port: 0 });
    researcher = new Researcher(coordinator.url, (await coordinator.createProject('admission')).token);
    await put(utf8(SCALE_WGSL));
  });

  afterAll(async () => {
    await coordinator.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('constant bindings', () => {
    it('are leased with the job, and each work unit carries only what differs', async () => {
      const blob = await put(K);
      const created = await create(scaleJob({ blob, size: 16 }));
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      const job = created.body.id as string;
      const xs = new Uint8Array(new Uint32Array([1, 1, 2, 2]).buffer);
      const added = await researcher.request(
        'POST',
        API.workUnits(job),
        `${JSON.stringify({ input: toBase64(xs) })}\n`,
        'application/x-ndjson',
      );
      expect(added.status).toBe(200);
      // 16 bytes of input, not 32: the constant is not part of it.
      const tooLong = await researcher.request(
        'POST',
        API.workUnits(job),
        `${JSON.stringify({ input: toBase64(new Uint8Array(32)) })}\n`,
        'application/x-ndjson',
      );
      expect(tooLong.status).toBe(400);
      const volunteer = await SimVolunteer.create(coordinator.url);
      const lease = await volunteer.lease(1);
      expect(lease.leases).toHaveLength(1);
      const spec = lease.jobs[0]?.spec;
      expect(spec?.kind === 'wgsl' && spec.bindings[1]).toMatchObject({ role: 'constant', blob });
      const fetched = await fetch(coordinator.url + API.blob(blob));
      expect(new Uint8Array(await fetched.arrayBuffer())).toEqual(K);
      await researcher.request('POST', API.cancel(job));
    });

    it('refuse a job whose constant blob was never uploaded', async () => {
      const before = await jobCount();
      const missing = sha256Hex(new Uint8Array(16).fill(9));
      const created = await create(scaleJob({ blob: missing, size: 16 }));
      expect(created).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });
      expect(created.body.error?.message).toContain(`asset ${missing} has not been uploaded`);
      expect(await jobCount()).toBe(before);
    });

    it('refuse a job whose constant blob is not the size its binding declares', async () => {
      const blob = await put(K);
      const created = await create(scaleJob({ blob, size: 32 }));
      expect(created).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });
      expect(created.body.error?.message).toBe(
        `spec.bindings: constant binding 1 (k) declares 32 bytes, but its blob ${blob} has 16`,
      );
    });

    it('refuse a constant binding without a blob, or one that is writable', async () => {
      const blob = await put(K);
      const job = scaleJob({ blob, size: 16 });
      if (job.spec.kind !== 'wgsl') throw new Error('wgsl');
      const { blob: _, ...noBlob } = job.spec.bindings[1]!;
      const withoutBlob = await create({
        ...job,
        spec: { ...job.spec, bindings: [job.spec.bindings[0], noBlob, job.spec.bindings[2]] },
      });
      expect(withoutBlob.status).toBe(400);
      expect(withoutBlob.body.error?.message).toMatch(/constant binding k needs a blob/);
      const writable = { ...job.spec.bindings[1]!, type: 'read_write' as const };
      const rw = await create({
        ...job,
        spec: { ...job.spec, bindings: [job.spec.bindings[0], writable, job.spec.bindings[2]] },
      });
      expect(rw.body.error?.message).toMatch(/constant binding k must be uniform or read/);
    });
  });
});
