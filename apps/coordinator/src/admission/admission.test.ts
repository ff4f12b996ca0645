// POST /v1/jobs over real HTTP: a job that cannot run is refused at the door with a 4xx that says why,
// and nothing of it is created.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API, type CreateJobRequest, toBase64 } from '@bricolage/protocol';
import { abiModule } from '@bricolage/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../hash';
import { type Coordinator, startCoordinator } from '../server';
import { Researcher, SQUARE_WGSL, squareJob } from '../testing/fixtures';
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

  describe('WGSL', () => {
    it('refuses a source that does not parse, naming the line, and creates nothing', async () => {
      const broken = utf8(SQUARE_WGSL.replace('xs[id.x] * xs[id.x];', 'xs[id.x] * xs[id.x]\n  ys[0] = 0u;'));
      await put(broken);
      const before = await jobCount();
      const created = await create({ ...squareJob(), spec: { ...squareJob().spec, shader: sha256Hex(broken) } });
      expect(created).toMatchObject({
        status: 400,
        body: { error: { code: 'bad_request', message: "spec.shader: WGSL line 5: Expected ';' after statement" } },
      });
      expect(await jobCount()).toBe(before);
    });

    it('refuses a spec whose entry point or bindings do not match the source', async () => {
      await put(utf8(SQUARE_WGSL));
      const spec = squareJob().spec;
      if (spec.kind !== 'wgsl') throw new Error('wgsl');
      const entry = await create({ ...squareJob(), spec: { ...spec, entryPoint: 'square' } });
      expect(entry.body.error?.message).toBe('spec.shader: WGSL has no @compute entry point square (it has main)');
      const [xs, ys] = spec.bindings as [(typeof spec.bindings)[0], (typeof spec.bindings)[0]];
      const typed = await create({ ...squareJob(), spec: { ...spec, bindings: [xs, { ...ys, binding: 2 }] } });
      expect(typed.status).toBe(400);
      expect(typed.body.error?.message).toBe(
        'spec.shader: ys at WGSL line 2 (@binding(1)) is used by main but not declared in spec.bindings',
      );
      const uniform = await create({ ...squareJob(), spec: { ...spec, bindings: [{ ...xs, type: 'uniform' }, ys] } });
      expect(uniform.body.error?.message).toBe(
        'spec.shader: spec.bindings: binding 0 (xs) is uniform in the spec but var<storage, read> xs at WGSL line 1',
      );
    });

    it('refuses a shader blob that is not text', async () => {
      const binary = await put(Uint8Array.from([0xff, 0xfe, 0x00, 0x80]));
      const created = await create({ ...squareJob(), spec: { ...squareJob().spec, shader: binary } });
      expect(created.body.error?.message).toBe(`spec.shader: blob ${binary} is not UTF-8 text, so not WGSL`);
    });
  });

  describe('ONNX', () => {
    it('refuses a model that is not ONNX, and creates nothing', async () => {
      const notOnnx = await put(utf8('hello\n'));
      const before = await jobCount();
      const created = await create({
        name: 'not a model',
        spec: {
          kind: 'onnx',
          model: notOnnx as never,
          inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }],
          outputs: [{ name: 'y', dtype: 'float32', shape: [1, 4] }],
        },
        comparator: { kind: 'exact' },
        costPerWorkUnit: 1,
      });
      expect(created.status).toBe(400);
      expect(created.body.error?.message).toMatch(/^spec\.model: not an ONNX model/);
      expect(await jobCount()).toBe(before);
    });
  });

  describe('wasm twin', () => {
    const withTwin = async (module: Uint8Array) => {
      const hash = await put(module);
      const spec = squareJob().spec;
      return create({ ...squareJob(), spec: { ...spec, wasm: { module: hash, export: 'run' } } });
    };

    it('accepts an import-free module with the ABI exports', async () => {
      const created = await withTwin(abiModule('copy'));
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      await researcher.request('POST', API.cancel(created.body.id as string));
    });

    it('refuses bytes that are not WebAssembly, a module with imports, and one without the entry point', async () => {
      expect((await withTwin(utf8('not wasm'))).body.error?.message).toMatch(
        /^spec\.wasm\.module: not a valid WebAssembly module: /,
      );
      expect((await withTwin(abiModule('copy', { importMemory: true }))).body.error?.message).toBe(
        'spec.wasm.module: a work-unit module must have no imports; it imports env.memory',
      );
      const hash = await put(abiModule('copy'));
      const renamed = await create({
        ...squareJob(),
        spec: { ...squareJob().spec, wasm: { module: hash, export: 'go' } },
      });
      expect(renamed).toMatchObject({
        status: 400,
        body: { error: { message: 'spec.wasm.module: the module must export function go' } },
      });
    });

    it('refuses a twin without const_ptr for a job with constants, and accepts one with it', async () => {
      const blob = await put(K);
      const job = scaleJob({ blob, size: 16 });
      if (job.spec.kind !== 'wgsl') throw new Error('wgsl');
      const twin = async (module: Uint8Array) =>
        create({ ...job, spec: { ...job.spec, wasm: { module: await put(module), export: 'run' } } });
      expect((await twin(abiModule('copy'))).body.error?.message).toBe(
        'spec.wasm.module: the module must export function const_ptr (the job has 1 constant binding)',
      );
      const good = await twin(abiModule('copy', { constPtr: 1024 }));
      expect(good.status, JSON.stringify(good.body)).toBe(200);
      await researcher.request('POST', API.cancel(good.body.id as string));
    });
  });
});
