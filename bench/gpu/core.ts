// The measurements of `npm run bench:gpu` for one workload, on whatever WebGPU adapter the global
// `navigator.gpu` gives (Dawn in Node: a real GPU, or SwiftShader): the runtime's own WgslExecutor with
// its ring of units in flight, the same one unit at a time (as before the ring), the kernel alone (many
// dispatches in one submission), the wasm twin on one core, and every output against the CPU reference.
import type { Comparator, WgslSpec } from '@bricolage/protocol';
import { GpuContext, WasmExecutor, WgslExecutor } from '@bricolage/runtime/node';

export interface GpuCase {
  readonly name: string;
  readonly spec: WgslSpec;
  /** Shader, twin and constants by SHA-256 hex. */
  readonly assets: ReadonlyMap<string, Uint8Array>;
  readonly inputs: readonly Uint8Array[];
  readonly reference: (input: Uint8Array) => Uint8Array;
  readonly comparator: Comparator;
}

export interface GpuBudget {
  /** Units through the executor, ring and one at a time each. */
  readonly units: number;
  /** Dispatches in the kernel-only submission. */
  readonly dispatches: number;
  /** Units through the wasm twin. */
  readonly wasmUnits: number;
}

export interface GpuFigures {
  readonly name: string;
  /** Units per second through the executor, with its ring of units in flight. */
  readonly executor_wu_per_s: number;
  /** The same, one unit at a time (submit, wait, read back, next): the executor before the ring. */
  readonly executor_serial_wu_per_s: number;
  /** Units per second of the kernel alone: `dispatches` dispatches in one submission, no readback. */
  readonly kernel_wu_per_s: number;
  /** executor ÷ kernel: how much of what the GPU can do the executor path gets out of it. */
  readonly busy_fraction: number;
  /** The wasm twin on one core (this thread), or null without a twin. */
  readonly wasm_wu_per_s: number | null;
  /** Every output of both executor runs, and of the twin, agreed with the CPU reference. */
  readonly correct: boolean;
  readonly ring: number;
  readonly units: number;
  readonly dispatches: number;
  /** Why a check failed, when one did. */
  readonly problems: readonly string[];
}

const seconds = (since: number) => (performance.now() - since) / 1000;

export async function benchCase(c: GpuCase, budget: GpuBudget, gpu = new GpuContext()): Promise<GpuFigures> {
  const problems: string[] = [];
  const check = (what: string, input: Uint8Array, output: Uint8Array) => {
    if (problems.length < 5 && !agrees(c.comparator, output, c.reference(input)))
      problems.push(`${what} disagrees with the reference`);
  };
  const inputs = Array.from({ length: budget.units }, (_, i) => c.inputs[i % c.inputs.length]!);
  const executor = new WgslExecutor(gpu);
  await executor.prepare(c.name, c.spec, c.assets);
  check('first unit (warm-up)', inputs[0]!, await executor.run(c.name, inputs[0]!));

  // The ring: every unit handed over at once, as the pipeline hands over its prefetched units.
  let started = performance.now();
  const ringOutputs = await Promise.all(inputs.map((input) => executor.run(c.name, input)));
  const ringRate = inputs.length / seconds(started);
  for (const [i, output] of ringOutputs.entries()) check(`unit ${i} (ring)`, inputs[i]!, output);

  started = performance.now();
  for (const [i, input] of inputs.entries()) {
    const output = await executor.run(c.name, input);
    if (i < 4) check(`unit ${i} (one at a time)`, input, output);
  }
  const serialRate = inputs.length / seconds(started);
  executor.forget(c.name);

  const kernelRate = await kernelOnly(c, gpu, budget.dispatches);

  let wasmRate: number | null = null;
  if (c.spec.wasm) {
    const twin = new WasmExecutor();
    await twin.prepare(c.name, c.spec, c.assets);
    check('wasm twin', inputs[0]!, await twin.run(c.name, inputs[0]!));
    started = performance.now();
    for (let i = 0; i < budget.wasmUnits; i++) await twin.run(c.name, inputs[i % inputs.length]!);
    wasmRate = budget.wasmUnits / seconds(started);
  }
  return {
    name: c.name,
    executor_wu_per_s: ringRate,
    executor_serial_wu_per_s: serialRate,
    kernel_wu_per_s: kernelRate,
    busy_fraction: ringRate / kernelRate,
    wasm_wu_per_s: wasmRate,
    correct: problems.length === 0,
    ring: executor.concurrency,
    units: inputs.length,
    dispatches: budget.dispatches,
    problems,
  };
}

/** Buffer sets the kernel-only run cycles through, as the executor's ring does: independent dispatches may overlap. */
const KERNEL_SETS = 8;

/**
 * The kernel alone on the first input: its own pipeline and KERNEL_SETS sets of buffers, `dispatches`
 * dispatches in one submission (set i % KERNEL_SETS each), timed to onSubmittedWorkDone. What the GPU
 * can do with such units when nothing waits on a readback.
 */
async function kernelOnly(c: GpuCase, gpu: GpuContext, dispatches: number): Promise<number> {
  const { device } = await gpu.device();
  const { spec } = c;
  const module = device.createShaderModule({ code: new TextDecoder().decode(c.assets.get(spec.shader)) });
  const pipeline = await device.createComputePipelineAsync({
    layout: 'auto',
    compute: { module, entryPoint: spec.entryPoint },
  });
  const input = c.inputs[0]!;
  const buffers: GPUBuffer[] = [];
  const constants = new Map<number, GPUBuffer>();
  const bindGroups: GPUBindGroup[] = [];
  const write = (buffer: GPUBuffer, bytes: Uint8Array) => {
    const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
    padded.set(bytes);
    device.queue.writeBuffer(buffer, 0, padded);
  };
  for (let set = 0; set < Math.min(KERNEL_SETS, dispatches); set++) {
    let offset = 0;
    const entries: GPUBindGroupEntry[] = [];
    for (const b of [...spec.bindings].sort((x, y) => x.binding - y.binding)) {
      let buffer = constants.get(b.binding);
      if (!buffer) {
        buffer = device.createBuffer({
          size: Math.ceil(b.size / 16) * 16,
          usage: (b.type === 'uniform' ? GPUBufferUsage.UNIFORM : GPUBufferUsage.STORAGE) | GPUBufferUsage.COPY_DST,
        });
        buffers.push(buffer);
        if (b.role === 'constant') {
          write(buffer, c.assets.get(b.blob as string)!);
          constants.set(b.binding, buffer);
        }
      }
      if (b.role === 'input') write(buffer, input.subarray(offset, offset + b.size));
      if (b.role === 'input') offset += b.size;
      entries.push({ binding: b.binding, resource: { buffer } });
    }
    bindGroups.push(device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }));
  }
  const submit = async (n: number) => {
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    for (let i = 0; i < n; i++) {
      pass.setBindGroup(0, bindGroups[i % bindGroups.length]!);
      pass.dispatchWorkgroups(...spec.dispatch);
    }
    pass.end();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
  };
  await submit(bindGroups.length); // drivers compile lazily
  const started = performance.now();
  await submit(dispatches);
  const rate = dispatches / seconds(started);
  for (const buffer of buffers) buffer.destroy();
  return rate;
}

/** The job's comparator: exact bytes, or f32 element by element within rtol/atol. */
export function agrees(comparator: Comparator, a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if (comparator.kind === 'exact') return a.every((x, i) => x === b[i]);
  const x = new DataView(a.buffer, a.byteOffset, a.byteLength);
  const y = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i + 4 <= a.length; i += 4) {
    const [u, v] = [x.getFloat32(i, true), y.getFloat32(i, true)];
    if (!(Math.abs(u - v) <= comparator.atol + comparator.rtol * Math.abs(v))) return false;
  }
  return true;
}
