// The compute worker's service in Node, with WebGPU from Dawn (SwiftShader here): several WGSL work units
// in flight at once, each reading back its own output; runs on other executors never overlap; and a device
// lost with a ring of units in flight returns no output for any of them.
import type { BlobHash, JobSpec } from '@bricolage/protocol';
import { sha256Hex } from '@bricolage/protocol';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { WGSL_RING } from '../executors/executor';
import { installDawn } from '../node/dawn';
import { abiModule } from '../testing/abi-modules';
import type { ComputeOutcome, OutcomeRun } from './api';
import { ComputeService } from './compute-service';

// vitest's 1 s would let a stall on a loaded 2-core machine decide the test (vitest.config.ts raises expect.poll's).
const SOON = { timeout: 10_000, interval: 5 };

const N = 256;
/** Each output word is its input word times three plus the constant's first word: a slot mix-up shows. */
const TRIPLE = `@group(0) @binding(0) var<storage, read> xs: array<u32, ${N}>;
@group(0) @binding(1) var<storage, read> k: array<u32, 1>;
@group(0) @binding(2) var<storage, read_write> ys: array<u32, ${N}>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  var x = xs[id.x];
  for (var i = 0u; i < 2000u; i++) { x = x * 1664525u + 1013904223u; }
  ys[id.x] = xs[id.x] * 3u + k[0] + (x & 0u);
}
`;

const enc = (s: string) => new TextEncoder().encode(s);
const words = (n: number) => new Uint8Array(new Uint32Array(N).map((_, i) => n * 1000 + i).buffer);
const expected = (n: number) => new Uint8Array(new Uint32Array(N).map((_, i) => (n * 1000 + i) * 3 + 7).buffer);

let service: ComputeService;
let gpuJob: JobSpec;
let assets: Map<string, Uint8Array>;

beforeAll(async () => {
  await installDawn('swiftshader');
  service = new ComputeService();
  const shader = enc(TRIPLE);
  const constant = new Uint8Array(new Uint32Array([7]).buffer);
  const copy = abiModule('copy');
  const [shaderHash, constantHash, copyHash] = await Promise.all([shader, constant, copy].map((b) => sha256Hex(b)));
  assets = new Map([
    [shaderHash!, shader],
    [constantHash!, constant],
    [copyHash!, copy],
  ]);
  gpuJob = {
    kind: 'wgsl',
    shader: shaderHash as BlobHash,
    entryPoint: 'main',
    bindings: [
      { binding: 0, name: 'xs', type: 'read', role: 'input', size: N * 4 },
      { binding: 1, name: 'k', type: 'read', role: 'constant', size: 4, blob: constantHash as BlobHash },
      { binding: 2, name: 'ys', type: 'read_write', role: 'output', size: N * 4 },
    ],
    dispatch: [N / 64, 1, 1],
    forbidNaN: false,
  };
  const wasmJob: JobSpec = {
    kind: 'wgsl',
    shader: shaderHash as BlobHash,
    entryPoint: 'main',
    bindings: [
      { binding: 0, name: 'x', type: 'read', role: 'input', size: 8 },
      { binding: 1, name: 'y', type: 'read_write', role: 'output', size: 8 },
    ],
    dispatch: [1, 1, 1],
    wasm: { module: copyHash as BlobHash, export: 'run' },
    forbidNaN: false,
  };
  expect(await service.prepare({ job: 'gpu', spec: gpuJob, backend: 'webgpu', assets })).toEqual({ ok: true });
  expect(await service.prepare({ job: 'cpu', spec: wasmJob, backend: 'wasm', assets })).toEqual({ ok: true });
});

const ok = (o: ComputeOutcome) => {
  if (!o.ok) throw new Error(`${o.code}: ${o.message}`);
  return o;
};

describe('compute service', () => {
  it('keeps a ring of WGSL units in flight, each with its own output', async () => {
    const runs = Array.from({ length: 3 * WGSL_RING }, (_, n) => service.run('gpu', words(n)));
    const outcomes = (await Promise.all(runs)).map(ok);
    for (const [n, o] of outcomes.entries()) expect(o.output, `unit ${n}`).toEqual(expected(n));
    // The second unit was submitted before the first was read back.
    expect(outcomes[1]!.startedAt!).toBeLessThan(outcomes[0]!.endedAt!);
    // Never more than the ring at once. A slot frees when any unit of the ring ends (their hashing finishes in
    // any order), so count, at each unit's start, the units started and not yet ended.
    for (const [k, unit] of outcomes.entries()) {
      const t = unit.startedAt!;
      const inFlight = outcomes.filter((o) => o.startedAt! <= t && o.endedAt! > t).length;
      expect(inFlight, `units in flight when unit ${k} started`).toBeLessThanOrEqual(WGSL_RING);
    }
    // The queue waited: unit RING started only after one of the ring had ended.
    const firstEnd = Math.min(...outcomes.slice(0, WGSL_RING).map((o) => o.endedAt!));
    expect(outcomes[WGSL_RING]!.startedAt!).toBeGreaterThanOrEqual(firstEnd);
  });

  it('runs units of another executor one at a time, in arrival order, never overlapping WGSL units', async () => {
    const order = ['gpu', 'gpu', 'cpu', 'gpu', 'cpu', 'cpu', 'gpu'];
    const outcomes = (
      await Promise.all(order.map((job, n) => service.run(job, job === 'gpu' ? words(n) : new Uint8Array(8).fill(n))))
    ).map(ok);
    for (let n = 1; n < order.length; n++) {
      const [before, now] = [outcomes[n - 1]!, outcomes[n]!];
      expect(now.startedAt!).toBeGreaterThanOrEqual(before.startedAt!);
      if (order[n] === 'cpu' || order[n - 1] === 'cpu') expect(now.startedAt!).toBeGreaterThanOrEqual(before.endedAt!);
    }
    expect(outcomes[2]!.output).toEqual(new Uint8Array(8).fill(2));
  });

  it('posts the outcomes of several units run in one call on the port it was given, each with its place', async () => {
    const { port1, port2 } = new MessageChannel();
    const told: OutcomeRun[] = [];
    port1.onmessage = ({ data }: MessageEvent<OutcomeRun>) => told.push(data);
    await service.runMany(
      'cpu',
      [1, 2, 3].map((n) => new Uint8Array(8).fill(n)),
      port2,
    );
    await vi.waitFor(() => expect(told).toHaveLength(3), SOON);
    // Units that do not stack end one by one: a message each.
    expect(told.map(({ first, outcomes }) => [first, ...outcomes.map((o) => [...ok(o).output])])).toEqual(
      [1, 2, 3].map((n, i) => [i, Array(8).fill(n)]),
    );
    port1.close();
  });

  it('reports device_lost for every unit in flight when the device is lost, then recovers', async () => {
    await service.destroyDevice('during-next-run');
    const outcomes = await Promise.all(Array.from({ length: WGSL_RING }, (_, n) => service.run('gpu', words(n))));
    for (const o of outcomes) expect(o).toMatchObject({ ok: false, code: 'device_lost' });
    expect(await service.deviceLosses()).toBe(1);
    expect(ok(await service.run('gpu', words(5))).output).toEqual(expected(5));
  });
});
