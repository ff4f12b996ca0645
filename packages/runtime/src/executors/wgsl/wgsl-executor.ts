// WebGPU compute: one compiled pipeline per (shader hash, entry point, binding layout), labelled and
// cached; constant bindings written once per job (and device), input bindings filled from each WU's
// bytes, output bindings read back and concatenated.
import {
  constantBindings,
  type JobSpec,
  type WgslBinding,
  type WgslSpec,
  wgslLimitViolation,
} from '@bricolage/protocol';
import { paddedSize, splitWgslInput, wgslOutputLayout } from '../../abi';
import { type AssetMap, constantBytes, type Executor, ExecutorError } from '../executor';
import type { DeviceHandle, GpuContext } from './gpu';

interface CompiledPipeline {
  readonly generation: number;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

interface JobBuffers {
  readonly generation: number;
  readonly buffers: Map<number, GPUBuffer>;
  readonly bindGroup: GPUBindGroup;
  readonly staging: GPUBuffer;
}

interface PreparedJob {
  readonly spec: WgslSpec;
  readonly source: string;
  /** Constant bytes by binding number, written when the job's buffers are made. */
  readonly constants: ReadonlyMap<number, Uint8Array>;
  readonly key: string;
  buffers: JobBuffers | null;
}

const ORDERED = (spec: WgslSpec) => [...spec.bindings].sort((a, b) => a.binding - b.binding);

/** Bindings with the same types and numbers share a layout, hence a pipeline for the same shader. */
export const pipelineKey = (spec: WgslSpec): string =>
  `${spec.shader}:${spec.entryPoint}:${ORDERED(spec)
    .map((b) => `${b.binding}${b.type[0]}`)
    .join(',')}`;

const bufferSize = (b: WgslBinding) => (b.type === 'uniform' ? Math.ceil(b.size / 16) * 16 : paddedSize(b.size));

export class WgslExecutor implements Executor {
  readonly backend = 'webgpu' as const;
  readonly #gpu: GpuContext;
  readonly #jobs = new Map<string, PreparedJob>();
  readonly #pipelines = new Map<string, Promise<CompiledPipeline>>();
  #destroyDuringNextRun = false;

  constructor(gpu: GpuContext) {
    this.#gpu = gpu;
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
      buffers: null,
    };
    await this.#pipeline(prepared, handle);
    this.#jobs.set(job, prepared);
  }

  async run(job: string, input: Uint8Array): Promise<Uint8Array> {
    const prepared = this.#jobs.get(job);
    if (!prepared) throw new ExecutorError('runtime_error', `job ${job} was not prepared`);
    const { spec } = prepared;
    const slices = splitWgslInput(spec, input);
    const handle = await this.#device();
    const { device, generation } = handle;
    const compiled = await this.#pipeline(prepared, handle);
    const job_ = this.#buffersFor(prepared, handle, compiled);

    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    for (const { binding, bytes } of slices) {
      const target = job_.buffers.get(binding.binding)!;
      const padded = bytes.length % 4 === 0 ? bytes : padTo(bytes, paddedSize(bytes.length));
      device.queue.writeBuffer(target, 0, padded as Uint8Array<ArrayBuffer>);
    }
    const encoder = device.createCommandEncoder({ label: `bricolage:${job}` });
    // Outputs and scratch start zeroed; inputs were just written, constants when the buffers were made.
    for (const b of spec.bindings)
      if (b.role === 'output' || b.role === 'scratch') encoder.clearBuffer(job_.buffers.get(b.binding)!);
    const pass = encoder.beginComputePass({ label: `bricolage:${job}` });
    pass.setPipeline(compiled.pipeline);
    pass.setBindGroup(0, job_.bindGroup);
    pass.dispatchWorkgroups(...spec.dispatch);
    pass.end();
    const layout = readbackLayout(spec);
    for (const { binding, stagingOffset } of layout)
      encoder.copyBufferToBuffer(
        job_.buffers.get(binding.binding)!,
        0,
        job_.staging,
        stagingOffset,
        paddedSize(binding.size),
      );
    device.queue.submit([encoder.finish()]);
    if (this.#destroyDuringNextRun) {
      this.#destroyDuringNextRun = false;
      device.destroy();
    }
    const validation = await device.popErrorScope();
    const oom = await device.popErrorScope();

    try {
      await job_.staging.mapAsync(GPUMapMode.READ);
    } catch (error) {
      if (this.#gpu.isLost(generation)) throw new ExecutorError('device_lost', 'the WebGPU device was lost');
      throw new ExecutorError('runtime_error', `reading back the output failed: ${(error as Error).message}`);
    }
    const mapped = new Uint8Array(job_.staging.getMappedRange());
    const output = new Uint8Array(layout.reduce((n, l) => n + l.binding.size, 0));
    for (const { binding, offset, stagingOffset } of layout)
      output.set(mapped.subarray(stagingOffset, stagingOffset + binding.size), offset);
    job_.staging.unmap();

    // Checked last: a result read back from a device that was lost meanwhile is never trusted.
    if (this.#gpu.isLost(generation)) throw new ExecutorError('device_lost', 'the WebGPU device was lost');
    if (validation) throw new ExecutorError('runtime_error', `WebGPU validation error: ${validation.message}`);
    if (oom) throw new ExecutorError('runtime_error', `WebGPU out of memory: ${oom.message}`);
    return output;
  }

  forget(job: string): void {
    const prepared = this.#jobs.get(job);
    if (prepared?.buffers) destroyBuffers(prepared.buffers);
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

  #buffersFor(prepared: PreparedJob, handle: DeviceHandle, compiled: CompiledPipeline): JobBuffers {
    if (prepared.buffers?.generation === handle.generation) return prepared.buffers;
    if (prepared.buffers) destroyBuffers(prepared.buffers);
    const { device } = handle;
    const buffers = new Map<number, GPUBuffer>();
    for (const b of prepared.spec.bindings) {
      const usage =
        b.type === 'uniform'
          ? GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST
          : GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
      const buffer = device.createBuffer({ label: `bricolage:${b.name}`, size: bufferSize(b), usage });
      buffers.set(b.binding, buffer);
      const constant = prepared.constants.get(b.binding);
      if (constant) {
        const padded = constant.length % 4 === 0 ? constant : padTo(constant, paddedSize(constant.length));
        device.queue.writeBuffer(buffer, 0, padded as Uint8Array<ArrayBuffer>);
      }
    }
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
    prepared.buffers = { generation: handle.generation, buffers, bindGroup, staging };
    return prepared.buffers;
  }
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

function destroyBuffers(b: JobBuffers): void {
  for (const buffer of b.buffers.values()) buffer.destroy();
  b.staging.destroy();
}
