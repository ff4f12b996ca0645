// A short measurement on the device itself, deciding which backend each job kind runs on: WGSL on the
// WebGPU adapter or the job's wasm twin, and onnxruntime's webgpu or wasm execution provider.
import type { BackendClass } from '@bricolage/protocol';
import type { GpuContext } from '../executors/wgsl/gpu';
import type { OrtLoader } from '../executors/onnx/ort';
import { matmulModel } from './matmul-onnx';
import { measuresOnnx, type OnnxCalibrationMode } from './onnx-mode';
import { SPIN_WORKGROUP, spinWasm, spinWgsl } from './spin';

export interface WgslCalibration {
  /** Best time of the calibration kernel on the WebGPU adapter, null without one. */
  readonly webgpuMs: number | null;
  readonly wasmMs: number;
  /** Whether the adapter computed the kernel correctly (null without an adapter). */
  readonly webgpuAgrees: boolean | null;
  /** Inner-loop iterations per run, so that the times convert to rates. */
  readonly work: number;
  readonly choice: Extract<BackendClass, 'webgpu' | 'wasm'>;
}

export interface OnnxCalibration {
  readonly wasmMs: number | null;
  readonly webgpuMs: number | null;
  readonly choice: Extract<BackendClass, 'onnx-wasm' | 'onnx-webgpu'>;
}

export interface CalibrationReport {
  readonly wgsl: WgslCalibration;
  readonly onnx: OnnxCalibration;
  readonly tookMs: number;
}

export interface CalibrationOptions {
  readonly invocations?: number;
  readonly iterations?: number;
  readonly repeats?: number;
  readonly onnx?: OnnxCalibrationMode;
  readonly onnxSize?: number;
}

export async function calibrate(
  gpu: GpuContext,
  ort: OrtLoader,
  options: CalibrationOptions = {},
): Promise<CalibrationReport> {
  const started = performance.now();
  const wgsl = await calibrateWgsl(gpu, options);
  const onnx = measuresOnnx(await gpu.capability(), options.onnx)
    ? await calibrateOnnx(ort, options)
    : { wasmMs: null, webgpuMs: null, choice: 'onnx-wasm' as const };
  return { wgsl, onnx, tookMs: performance.now() - started };
}

export async function calibrateWgsl(gpu: GpuContext, options: CalibrationOptions = {}): Promise<WgslCalibration> {
  const invocations = options.invocations ?? 64 * 256;
  const iterations = options.iterations ?? 256;
  const repeats = options.repeats ?? 5;
  const work = invocations * iterations;

  const module = new WebAssembly.Instance(new WebAssembly.Module(spinWasm() as Uint8Array<ArrayBuffer>), {});
  const spin = module.exports.spin as (n: number, iterations: number) => number;
  spin(invocations, 8); // let the engine tier up before timing
  const expected = spin(invocations, iterations) >>> 0;

  let onGpu: SpinOnGpu | null = null;
  let webgpuAgrees: boolean | null = null;
  if (await gpu.adapter()) {
    try {
      onGpu = await SpinOnGpu.create((await gpu.device()).device, invocations, iterations);
      webgpuAgrees = (await onGpu.run()) === expected; // also the warm-up: drivers compile lazily
    } catch (error) {
      console.warn('WebGPU calibration failed', error);
      webgpuAgrees = false;
    }
  }
  // Interleaved, best of `repeats` each: a busy machine slows both alike rather than one of them.
  let wasmMs = Number.POSITIVE_INFINITY;
  let webgpuMs: number | null = onGpu && webgpuAgrees ? Number.POSITIVE_INFINITY : null;
  try {
    for (let r = 0; r < repeats; r++) {
      const t = performance.now();
      spin(invocations, iterations);
      wasmMs = Math.min(wasmMs, performance.now() - t);
      if (onGpu && webgpuMs !== null) {
        const g = performance.now();
        await onGpu.run();
        webgpuMs = Math.min(webgpuMs, performance.now() - g);
      }
    }
  } finally {
    onGpu?.destroy();
  }
  const fallback = (await gpu.capability())?.isFallbackAdapter ?? true;
  const choice = webgpuAgrees === true && webgpuMs !== null ? pickWgsl(webgpuMs, wasmMs, fallback) : 'wasm';
  return { webgpuMs, wasmMs, webgpuAgrees, work, choice };
}

/** Margin the other backend must win by to displace the expected one, so that noise cannot flip the choice. */
export const CALIBRATION_MARGIN = 0.2;

/**
 * How much faster a software adapter must be to displace wasm. It computes on the same CPU, on a thread
 * pool that takes cores from the page and from other tabs, so its spin-kernel time flatters it: in a
 * 4-tab farm on two busy cores one tab chose it on a 20% margin and then did 6.5× less work per CPU
 * second on primes than the tabs running wasm. It has to be twice as fast to be chosen.
 */
export const SOFTWARE_ADAPTER_MARGIN = 0.5;

/**
 * A software (fallback) adapter is expected to lose to wasm and a real GPU to win; the measurement
 * overrules the expectation only when the other backend is faster by more than the margin.
 */
export function pickWgsl(webgpuMs: number, wasmMs: number, fallbackAdapter: boolean): 'webgpu' | 'wasm' {
  if (fallbackAdapter) return webgpuMs < wasmMs * (1 - SOFTWARE_ADAPTER_MARGIN) ? 'webgpu' : 'wasm';
  return wasmMs < webgpuMs * (1 - CALIBRATION_MARGIN) ? 'wasm' : 'webgpu';
}

/** The spin kernel compiled on a device, ready to dispatch: returns the XOR of its outputs. */
class SpinOnGpu {
  private constructor(
    private readonly device: GPUDevice,
    private readonly pipeline: GPUComputePipeline,
    private readonly out: GPUBuffer,
    private readonly readback: GPUBuffer,
    private readonly bindGroup: GPUBindGroup,
    private readonly invocations: number,
  ) {}

  static async create(device: GPUDevice, invocations: number, iterations: number): Promise<SpinOnGpu> {
    const label = 'bricolage:calibration';
    const module = device.createShaderModule({ label, code: spinWgsl });
    const pipeline = await device.createComputePipelineAsync({
      label,
      layout: 'auto',
      compute: { module, entryPoint: 'main', constants: { iterations } },
    });
    const size = invocations * 4;
    const out = device.createBuffer({ label, size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const readback = device.createBuffer({ label, size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: out } }],
    });
    return new SpinOnGpu(device, pipeline, out, readback, bindGroup, invocations);
  }

  async run(): Promise<number> {
    const encoder = this.device.createCommandEncoder({ label: 'bricolage:calibration' });
    const pass = encoder.beginComputePass();
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, this.bindGroup);
    pass.dispatchWorkgroups(this.invocations / SPIN_WORKGROUP);
    pass.end();
    encoder.copyBufferToBuffer(this.out, 0, this.readback, 0, this.invocations * 4);
    this.device.queue.submit([encoder.finish()]);
    await this.readback.mapAsync(GPUMapMode.READ);
    let xor = 0;
    for (const w of new Uint32Array(this.readback.getMappedRange())) xor = (xor ^ w) >>> 0;
    this.readback.unmap();
    return xor;
  }

  destroy(): void {
    this.out.destroy();
    this.readback.destroy();
  }
}

export async function calibrateOnnx(ort: OrtLoader, options: CalibrationOptions = {}): Promise<OnnxCalibration> {
  const n = options.onnxSize ?? 256;
  const repeats = options.repeats ?? 3;
  const lib = await ort.load('webgpu');
  const model = matmulModel(n);
  const data = new Float32Array(n * n).map((_, i) => ((i * 7919) % 1000) / 1000);
  const time = async (provider: 'wasm' | 'webgpu'): Promise<number | null> => {
    try {
      const session = await lib.InferenceSession.create(model, { executionProviders: [provider] });
      let best = Number.POSITIVE_INFINITY;
      for (let r = 0; r <= repeats; r++) {
        const feeds = { A: new lib.Tensor('float32', data, [n, n]), B: new lib.Tensor('float32', data, [n, n]) };
        const t = performance.now();
        const out = await session.run(feeds);
        await out.C?.getData();
        if (r > 0) best = Math.min(best, performance.now() - t);
      }
      await session.release();
      return best;
    } catch (error) {
      console.warn(`onnxruntime ${provider} calibration failed`, error);
      return null;
    }
  };
  const wasmMs = await time('wasm');
  const webgpuMs = await time('webgpu');
  const choice = webgpuMs !== null && (wasmMs === null || webgpuMs < wasmMs) ? 'onnx-webgpu' : 'onnx-wasm';
  return { wasmMs, webgpuMs, choice };
}
