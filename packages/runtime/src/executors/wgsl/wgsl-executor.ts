// WebGPU compute: one compiled pipeline per (shader hash, entry point, binding layout), labelled and
// cached; constant bindings written once per job (and device), input bindings filled from each WU's
// bytes, output bindings read back and concatenated. Several work units are in flight at once, each in
// its own slot of a ring (input, output and scratch buffers, bind group, readback buffer): the next unit
// is submitted while an earlier one is read back, so a GPU is not left idle between units.
import {
  constantBindings,
  type JobSpec,
  type WgslBinding,
  type WgslSpec,
  wgslLimitViolation,
} from '@bricolage/protocol';
import { paddedSize, splitWgslInput, wgslOutputLayout } from '../../abi';
import { type AssetMap, constantBytes, type Executor, ExecutorError, WGSL_RING } from '../executor';
import type { DeviceHandle, GpuContext } from './gpu';

interface CompiledPipeline {
  readonly generation: number;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

/** One work unit's buffers; constants are shared by the job's slots. */
interface Slot {
  readonly buffers: Map<number, GPUBuffer>;
  readonly bindGroup: GPUBindGroup;
  readonly staging: GPUBuffer;
}

/** A job's slots on one device: made as units need them, up to the ring's size, and reused. */
interface JobRing {
  readonly generation: number;
  readonly constants: Map<number, GPUBuffer>;
  readonly slots: Slot[];
  readonly free: Slot[];
  /** Runs waiting for a free slot, first come first served. */
  readonly waiting: ((slot: Slot) => void)[];
  readonly size: number;
}

interface PreparedJob {
  readonly spec: WgslSpec;
  readonly source: string;
  /** Constant bytes by binding number, written when the job's buffers are made. */
  readonly constants: ReadonlyMap<number, Uint8Array>;
  readonly key: string;
  ring: JobRing | null;
}

/** A ring never holds more than this in buffers: a job with huge bindings gets fewer slots (at least one). */
const RING_BYTES = 256 * 1024 * 1024;

const ORDERED = (spec: WgslSpec) => [...spec.bindings].sort((a, b) => a.binding - b.binding);

/** Bindings with the same types and numbers share a layout, hence a pipeline for the same shader. */
export const pipelineKey = (spec: WgslSpec): string =>
  `${spec.shader}:${spec.entryPoint}:${ORDERED(spec)
    .map((b) => `${b.binding}${b.type[0]}`)
    .join(',')}`;

const bufferSize = (b: WgslBinding) => (b.type === 'uniform' ? Math.ceil(b.size / 16) * 16 : paddedSize(b.size));

export class WgslExecutor implements Executor {
  readonly backend = 'webgpu' as const;
  readonly concurrency: number;
  readonly #gpu: GpuContext;
  readonly #jobs = new Map<string, PreparedJob>();
  readonly #pipelines = new Map<string, Promise<CompiledPipeline>>();
  #destroyDuringNextRun = false;

  constructor(gpu: GpuContext, ring = WGSL_RING) {
    this.#gpu = gpu;
    this.concurrency = Math.max(1, Math.floor(ring));
  }

  async prepare(job: string, spec: JobSpec, assets: AssetMap): Promise<void> {
    if (spec.kind !== 'wgsl') throw new ExecutorError('unsupported', 'not a wgsl job');
    const shader = assets.get(spec.shader);
    if (!shader) throw new ExecutorError('runtime_error', `shader ${spec.shader} was not provided`);
    const handle = await this.#device();
    const violation = wgslLimitViolation(spec, handle.device.limits);
    if (violation) throw new ExecutorError('unsupported', violation);
    const constants = constantBytes(spec, assets);
    const prepared: PreparedJob = {
      spec,
      source: new TextDecoder().decode(shader),
      constants: new Map(constantBindings(spec).map((b, i) => [b.binding, constants[i] as Uint8Array])),
      key: pipelineKey(spec),
      ring: null,
    };
    await this.#pipeline(prepared, handle);
    this.#jobs.set(job, prepared);
  }

  /**
   * Computes one work unit. May be called again before earlier calls settle: up to the ring's size run at
   * once, each in its own slot, and the rest wait for a slot in call order.
   */
  async run(job: string, input: Uint8Array): Promise<Uint8Array> {
    const prepared = this.#jobs.get(job);
    if (!prepared) throw new ExecutorError('runtime_error', `job ${job} was not prepared`);
    const { spec } = prepared;
    const slices = splitWgslInput(spec, input);
    const handle = await this.#device();
    const { device, generation } = handle;
    const compiled = await this.#pipeline(prepared, handle);
    const ring = this.#ringFor(prepared, handle);
    const slot = await acquire(ring, () => this.#makeSlot(prepared, ring, handle, compiled));
    try {
      // From here to the pops nothing awaits: another run's error scopes must not nest inside these.
      device.pushErrorScope('out-of-memory');
      device.pushErrorScope('validation');
      for (const { binding, bytes } of slices) {
        const target = slot.buffers.get(binding.binding)!;
        const padded = bytes.length % 4 === 0 ? bytes : padTo(bytes, paddedSize(bytes.length));
        device.queue.writeBuffer(target, 0, padded as Uint8Array<ArrayBuffer>);
      }
      const encoder = device.createCommandEncoder({ label: `bricolage:${job}` });
      // Outputs and scratch start zeroed; inputs were just written, constants when the ring was made.
      for (const b of spec.bindings)
        if (b.role === 'output' || b.role === 'scratch') encoder.clearBuffer(slot.buffers.get(b.binding)!);
      const pass = encoder.beginComputePass({ label: `bricolage:${job}` });
      pass.setPipeline(compiled.pipeline);
      pass.setBindGroup(0, slot.bindGroup);
      pass.dispatchWorkgroups(...spec.dispatch);
      pass.end();
      const layout = readbackLayout(spec);
      for (const { binding, stagingOffset } of layout)
        encoder.copyBufferToBuffer(
          slot.buffers.get(binding.binding)!,
          0,
          slot.staging,
          stagingOffset,
          paddedSize(binding.size),
        );
      device.queue.submit([encoder.finish()]);
      if (this.#destroyDuringNextRun) {
        this.#destroyDuringNextRun = false;
        device.destroy();
      }
      const [validation, oom] = await Promise.all([device.popErrorScope(), device.popErrorScope()]);

      try {
        await slot.staging.mapAsync(GPUMapMode.READ);
      } catch (error) {
        if (this.#gpu.isLost(generation)) throw new ExecutorError('device_lost', 'the WebGPU device was lost');
        throw new ExecutorError('runtime_error', `reading back the output failed: ${(error as Error).message}`);
      }
      const mapped = new Uint8Array(slot.staging.getMappedRange());
      const output = new Uint8Array(layout.reduce((n, l) => n + l.binding.size, 0));
      for (const { binding, offset, stagingOffset } of layout)
        output.set(mapped.subarray(stagingOffset, stagingOffset + binding.size), offset);
      slot.staging.unmap();

      // Checked last: a result read back from a device that was lost meanwhile is never trusted.
      if (this.#gpu.isLost(generation)) throw new ExecutorError('device_lost', 'the WebGPU device was lost');
      if (validation) throw new ExecutorError('runtime_error', `WebGPU validation error: ${validation.message}`);
      if (oom) throw new ExecutorError('runtime_error', `WebGPU out of memory: ${oom.message}`);
      return output;
    } finally {
      release(ring, slot);
    }
  }

  forget(job: string): void {
    const prepared = this.#jobs.get(job);
    if (prepared?.ring) destroyRing(prepared.ring);
    this.#jobs.delete(job);
  }

  /** Test hook: destroy the device between submitting the next dispatch and reading it back. */
  armDestroyDuringNextRun(): void {
    this.#destroyDuringNextRun = true;
  }

  async #device(): Promise<DeviceHandle> {
    try {
      return await this.#gpu.device();
    } catch (error) {
      throw new ExecutorError('unsupported', (error as Error).message);
    }
  }

  #pipeline(prepared: PreparedJob, handle: DeviceHandle): Promise<CompiledPipeline> {
    const cached = this.#pipelines.get(prepared.key);
    if (cached) {
      return cached.then((c) => (c.generation === handle.generation ? c : this.#compileAndCache(prepared, handle)));
    }
    return this.#compileAndCache(prepared, handle);
  }

  #compileAndCache(prepared: PreparedJob, handle: DeviceHandle): Promise<CompiledPipeline> {
    const compiled = compile(prepared, handle);
    this.#pipelines.set(prepared.key, compiled);
    compiled.catch(() => this.#pipelines.delete(prepared.key));
    return compiled;
  }

  /** The job's ring on this device: constants written once; slots are made as runs need them. */
  #ringFor(prepared: PreparedJob, handle: DeviceHandle): JobRing {
    if (prepared.ring?.generation === handle.generation) return prepared.ring;
    if (prepared.ring) destroyRing(prepared.ring);
    const { device } = handle;
    const constants = new Map<number, GPUBuffer>();
    for (const b of prepared.spec.bindings) {
      const bytes = prepared.constants.get(b.binding);
      if (!bytes) continue;
      const buffer = device.createBuffer({ label: `bricolage:${b.name}`, size: bufferSize(b), usage: usageOf(b) });
      const padded = bytes.length % 4 === 0 ? bytes : padTo(bytes, paddedSize(bytes.length));
      device.queue.writeBuffer(buffer, 0, padded as Uint8Array<ArrayBuffer>);
      constants.set(b.binding, buffer);
    }
    const slotBytes = prepared.spec.bindings
      .filter((b) => b.role !== 'constant')
      .reduce((n, b) => n + bufferSize(b) + (b.role === 'output' ? paddedSize(b.size) : 0), 0);
    const size = Math.max(1, Math.min(this.concurrency, Math.floor(RING_BYTES / Math.max(1, slotBytes))));
    prepared.ring = { generation: handle.generation, constants, slots: [], free: [], waiting: [], size };
    return prepared.ring;
  }

  #makeSlot(prepared: PreparedJob, ring: JobRing, { device }: DeviceHandle, compiled: CompiledPipeline): Slot {
    const buffers = new Map<number, GPUBuffer>(ring.constants);
    for (const b of prepared.spec.bindings)
      if (!ring.constants.has(b.binding))
        buffers.set(
          b.binding,
          device.createBuffer({ label: `bricolage:${b.name}`, size: bufferSize(b), usage: usageOf(b) }),
        );
    const outputBytes = wgslOutputLayout(prepared.spec).reduce((n, l) => n + paddedSize(l.binding.size), 0);
    const staging = device.createBuffer({
      label: 'bricolage:readback',
      size: outputBytes,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    const bindGroup = device.createBindGroup({
      label: 'bricolage:bindings',
      layout: compiled.layout,
      entries: prepared.spec.bindings.map((b) => ({
        binding: b.binding,
        resource: { buffer: buffers.get(b.binding)! },
      })),
    });
    const slot = { buffers, bindGroup, staging };
    ring.slots.push(slot);
    return slot;
  }
}

const usageOf = (b: WgslBinding): number =>
  b.type === 'uniform'
    ? GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST
    : GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;

/** A free slot of the ring, a new one while the ring is not full, or the next one released. */
function acquire(ring: JobRing, make: () => Slot): Promise<Slot> {
  const free = ring.free.pop();
  if (free) return Promise.resolve(free);
  if (ring.slots.length < ring.size) return Promise.resolve(make());
  return new Promise((resolve) => ring.waiting.push(resolve));
}

function release(ring: JobRing, slot: Slot): void {
  const next = ring.waiting.shift();
  if (next) next(slot);
  else ring.free.push(slot);
}

async function compile(prepared: PreparedJob, { device, generation }: DeviceHandle): Promise<CompiledPipeline> {
  const { spec } = prepared;
  const label = `bricolage:${spec.shader.slice(0, 12)}:${spec.entryPoint}`;
  const module = device.createShaderModule({ label, code: prepared.source });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0)
    throw new ExecutorError('compile_failed', errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('\n'));
  const layout = device.createBindGroupLayout({
    label,
    entries: spec.bindings.map((b) => ({
      binding: b.binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: b.type === 'uniform' ? 'uniform' : b.type === 'read' ? 'read-only-storage' : 'storage' },
    })),
  });
  try {
    const pipeline = await device.createComputePipelineAsync({
      label,
      layout: device.createPipelineLayout({ label, bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: spec.entryPoint },
    });
    return { generation, pipeline, layout };
  } catch (error) {
    throw new ExecutorError('compile_failed', `pipeline creation failed: ${(error as Error).message}`);
  }
}

/** Output bindings with their offset in the result and their 4-byte-aligned offset in the readback buffer. */
function readbackLayout(spec: WgslSpec): { binding: WgslBinding; offset: number; stagingOffset: number }[] {
  let stagingOffset = 0;
  return wgslOutputLayout(spec).map(({ binding, offset }) => {
    const entry = { binding, offset, stagingOffset };
    stagingOffset += paddedSize(binding.size);
    return entry;
  });
}

function padTo(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(bytes);
  return out;
}

function destroyRing(ring: JobRing): void {
  for (const buffer of ring.constants.values()) buffer.destroy();
  for (const slot of ring.slots) {
    for (const [binding, buffer] of slot.buffers) if (!ring.constants.has(binding)) buffer.destroy();
    slot.staging.destroy();
  }
}
