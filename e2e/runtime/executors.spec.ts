// The executors in real Chromium, without a coordinator: WGSL on the (SwiftShader) WebGPU adapter, import-free
// wasm, onnxruntime-web; time budgets, device loss and self-checks; and the calibration that picks a backend.
import type { BlobHash, JobSpec } from '@bricolage/protocol';
import { sha256Hex, utf8 } from '@bricolage/protocol';
import type { ComputeHost } from '@bricolage/runtime';
import { expect, test } from '../support/fixtures';
import { computeInPage, type HarnessWindow, type PageJob } from '../support/page';
import { abiModule } from '@bricolage/runtime/testing';

const N = 1000;
const scaleWgsl = (body: string) => `
struct Params { factor: f32, n: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xs: array<f32>;
@group(0) @binding(2) var<storage, read_write> ys: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= params.n) { return; }
  let x = xs[id.x];
  ys[id.x] = ${body};
}`;

async function scaleJob(id: string, body: string, forbidNaN = false): Promise<PageJob> {
  const shader = utf8(scaleWgsl(body));
  const spec: JobSpec = {
    kind: 'wgsl',
    shader: (await sha256Hex(shader)) as BlobHash,
    entryPoint: 'main',
    bindings: [
      { binding: 0, name: 'params', type: 'uniform', role: 'input', size: 8 },
      { binding: 1, name: 'xs', type: 'read', role: 'input', size: N * 4 },
      { binding: 2, name: 'ys', type: 'read_write', role: 'output', size: N * 4 },
    ],
    dispatch: [Math.ceil(N / 64), 1, 1],
    forbidNaN,
  };
  return { id, spec, backend: 'webgpu', assets: [shader] };
}

function scaleInput(factor: number, xs: (i: number) => number): Uint8Array {
  const bytes = new Uint8Array(8 + N * 4);
  const view = new DataView(bytes.buffer);
  view.setFloat32(0, factor, true);
  view.setUint32(4, N, true);
  for (let i = 0; i < N; i++) view.setFloat32(8 + i * 4, xs(i), true);
  return bytes;
}

const f32s = (bytes: Uint8Array) => new Float32Array(bytes.slice().buffer);

async function wasmJob(id: string, module: Uint8Array, size: number): Promise<PageJob> {
  const shader = utf8('@compute @workgroup_size(1) fn main() {}');
  const spec: JobSpec = {
    kind: 'wgsl',
    shader: (await sha256Hex(shader)) as BlobHash,
    entryPoint: 'main',
    bindings: [
      { binding: 0, name: 'x', type: 'read', role: 'input', size },
      { binding: 1, name: 'y', type: 'read_write', role: 'output', size },
    ],
    dispatch: [1, 1, 1],
    wasm: { module: (await sha256Hex(module)) as BlobHash, export: 'run' },
    forbidNaN: false,
  };
  return { id, spec, backend: 'wasm', assets: [shader, module] };
}

test('the device reports a WebGPU fallback adapter, its limits, and ORT providers', async ({ harnessPage }) => {
  const probe = await harnessPage.evaluate(async () => {
    const w = window as unknown as HarnessWindow;
    const host = new w.bricolage.ComputeHost({ config: {} });
    try {
      return await host.probe();
    } finally {
      host.close();
    }
  });
  expect(probe.webgpu).not.toBeNull();
  expect(probe.webgpu?.isFallbackAdapter).toBe(true);
  expect(probe.webgpu?.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
  expect(probe.onnxProviders).toEqual(['wasm', 'webgpu']);
  expect(probe.crossOriginIsolated).toBe(true);
  expect(probe.hardwareConcurrency).toBeGreaterThanOrEqual(1);
});

test('a WGSL kernel computes the same bytes as the CPU, and outputs are hashed', async ({ harnessPage }) => {
  const job = await scaleJob('job_scale', 'x * params.factor + 1.0');
  const inputs = [scaleInput(2.5, (i) => i / 7), scaleInput(-1, (i) => Math.sin(i))];
  const { prepared, outcomes } = await computeInPage(harnessPage, job, inputs);
  expect(prepared.ok).toBe(true);
  for (const [k, outcome] of outcomes.entries()) {
    if (!outcome.ok) throw new Error(`${outcome.code}: ${outcome.message}`);
    const xs = f32s(inputs[k]!.subarray(8));
    const factor = f32s(inputs[k]!.subarray(0, 4))[0]!;
    const expected = xs.map((x) => Math.fround(Math.fround(x * factor) + 1));
    expect(f32s(outcome.output)).toEqual(expected);
    expect(outcome.outputHash).toBe(await sha256Hex(outcome.output));
    expect(outcome.backend).toBe('webgpu');
  }
});

test('a WGSL result containing NaN fails its self-check when the job forbids NaN', async ({ harnessPage }) => {
  const job = await scaleJob('job_nan', 'sqrt(x * params.factor)', true);
  const { outcomes } = await computeInPage(harnessPage, job, [scaleInput(1, (i) => i - 10)]);
  expect(outcomes[0]).toMatchObject({ ok: false, code: 'self_check_failed' });
});

test('a WGSL shader that does not compile is reported as compile_failed', async ({ harnessPage }) => {
  const job = await scaleJob('job_broken', 'x * undefined_name');
  const { prepared } = await computeInPage(harnessPage, job, []);
  expect(prepared).toMatchObject({ ok: false, code: 'compile_failed' });
});

test('device loss during a dispatch yields device_lost, never an output, and the next WU computes', async ({
  harnessPage,
}) => {
  const job = await scaleJob('job_lost', 'x * params.factor + 1.0');
  const input = scaleInput(3, (i) => i);
  const { outcomes } = await computeInPage(harnessPage, job, [input, input, input], { destroyDeviceBefore: 1 });
  expect(outcomes.map((o) => (o.ok ? 'ok' : o.code))).toEqual(['ok', 'device_lost', 'ok']);
  const [first, , third] = outcomes;
  expect(first?.ok && third?.ok && first.outputHash === third.outputHash).toBe(true);
});

test('an import-free wasm module runs through the ABI; imports, traps and negative returns are refused', async ({
  harnessPage,
}) => {
  const input = Uint8Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff);
  const copy = await computeInPage(harnessPage, await wasmJob('job_copy', abiModule('copy'), 64), [input]);
  expect(copy.outcomes[0]).toMatchObject({ ok: true, backend: 'wasm', output: input });

  const importing = await computeInPage(
    harnessPage,
    await wasmJob('job_imp', abiModule('copy', { importMemory: true }), 64),
    [],
  );
  expect(importing.prepared).toMatchObject({ ok: false, code: 'compile_failed' });
  expect(importing.prepared.message).toContain('no imports');

  const trap = await computeInPage(harnessPage, await wasmJob('job_trap', abiModule('trap'), 64), [input]);
  expect(trap.outcomes[0]).toMatchObject({ ok: false, code: 'runtime_error' });
  const negative = await computeInPage(harnessPage, await wasmJob('job_neg', abiModule('negative'), 64), [input]);
  expect(negative.outcomes[0]).toMatchObject({ ok: false, code: 'runtime_error' });
});

test('a kernel that never returns is killed at its time budget and the next WU still computes', async ({
  harnessPage,
}) => {
  const input = new Uint8Array(16).fill(9);
  const started = Date.now();
  const loop = await computeInPage(harnessPage, await wasmJob('job_loop', abiModule('loop'), 16), [input], {
    budgetMs: 500,
  });
  expect(loop.outcomes[0]).toMatchObject({ ok: false, code: 'timeout' });
  expect(Date.now() - started).toBeLessThan(10_000);
  const after = await computeInPage(harnessPage, await wasmJob('job_after', abiModule('copy'), 16), [input]);
  expect(after.outcomes[0]).toMatchObject({ ok: true, output: input });
  const restarts = await harnessPage.evaluate(
    () => ((window as unknown as HarnessWindow).state.host as ComputeHost).restarts,
  );
  expect(restarts).toBe(1);
});

test('calibration times WGSL against wasm on the same kernel and picks the faster by a margin', async ({
  harnessPage,
}) => {
  const report = await harnessPage.evaluate(async () => {
    const w = window as unknown as HarnessWindow;
    const host = new w.bricolage.ComputeHost({ config: {} });
    try {
      return await host.calibrate();
    } finally {
      host.close();
    }
  });
  expect(report.wgsl.webgpuAgrees).toBe(true);
  expect(report.wgsl.webgpuMs).toBeGreaterThan(0);
  expect(report.wgsl.wasmMs).toBeGreaterThan(0);
  // On a software adapter WGSL must beat wasm by a clear margin to be chosen.
  expect(report.wgsl.choice).toBe(report.wgsl.webgpuMs! < report.wgsl.wasmMs * 0.8 ? 'webgpu' : 'wasm');
  // A fallback adapter is never measured for ONNX unless asked: its jobs use the wasm EP.
  expect(report.onnx).toMatchObject({ choice: 'onnx-wasm', webgpuMs: null });
  console.log(
    `calibration: webgpu ${report.wgsl.webgpuMs?.toFixed(1)} ms, wasm ${report.wgsl.wasmMs.toFixed(1)} ms ` +
      `for ${report.wgsl.work} iterations → ${report.wgsl.choice} (${report.tookMs.toFixed(0)} ms in all)`,
  );
});
