// The worker's one WebGPU device: acquired lazily with the adapter's own limits, watched for loss,
// and recreated on the next use after a loss.
import type { WebGpuCapability } from '@bricolage/protocol';

const LIMIT_KEYS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxUniformBufferBindingSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupStorageSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
] as const;

const OPTIONAL_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'] as const;

export interface DeviceHandle {
  readonly device: GPUDevice;
  /** Increments with every new device, so work started on a lost device can be recognised. */
  readonly generation: number;
}

export class GpuContext {
  #adapter: GPUAdapter | null = null;
  #handle: DeviceHandle | null = null;
  #acquiring: Promise<DeviceHandle> | null = null;
  #adapterUsed = false;
  #generation = 0;
  #lost = true;
  readonly #onLost: (reason: string, message: string) => void;

  constructor(onLost: (reason: string, message: string) => void = () => undefined) {
    this.#onLost = onLost;
  }

  static available(): boolean {
    return typeof navigator !== 'undefined' && 'gpu' in navigator && !!navigator.gpu;
  }

  async adapter(): Promise<GPUAdapter | null> {
    if (this.#adapter) return this.#adapter;
    if (!GpuContext.available()) return null;
    this.#adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
    this.#adapterUsed = false;
    return this.#adapter;
  }

  /** Whether the device of `generation` has been lost (or replaced) since work on it started. */
  isLost(generation: number): boolean {
    return this.#lost || this.#handle?.generation !== generation;
  }

  async device(): Promise<DeviceHandle> {
    if (this.#handle && !this.#lost) return this.#handle;
    this.#acquiring ??= this.#acquire().finally(() => {
      this.#acquiring = null;
    });
    return this.#acquiring;
  }

  async #acquire(): Promise<DeviceHandle> {
    // An adapter gives out one device: after a loss, start again from a fresh adapter.
    if (this.#adapterUsed) this.#adapter = null;
    const adapter = await this.adapter();
    if (!adapter) throw new Error('WebGPU: no adapter');
    this.#adapterUsed = true;
    const device = await requestDevice(adapter);
    if (!device) throw new Error('WebGPU: no device could be created');
    const handle = { device, generation: ++this.#generation };
    this.#handle = handle;
    this.#lost = false;
    device.lost.then((info) => {
      if (this.#handle !== handle) return;
      this.#lost = true;
      this.#onLost(info.reason ?? 'unknown', info.message);
    });
    return handle;
  }

  /** Test hook and shutdown: destroys the current device (the loss is then observed like any other). */
  destroy(): void {
    this.#handle?.device.destroy();
  }

  async capability(): Promise<WebGpuCapability | null> {
    const adapter = await this.adapter();
    if (!adapter) return null;
    const info = adapter.info;
    const legacy = adapter as unknown as { isFallbackAdapter?: boolean };
    const limits = adapter.limits;
    return {
      vendor: info?.vendor ?? '',
      architecture: info?.architecture ?? '',
      description: info?.description ?? '',
      isFallbackAdapter: Boolean(info?.isFallbackAdapter ?? legacy.isFallbackAdapter ?? false),
      limits: {
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        maxBufferSize: limits.maxBufferSize,
        maxUniformBufferBindingSize: limits.maxUniformBufferBindingSize,
        maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
        maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
        maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
        maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
      },
      features: [...adapter.features].slice(0, 64),
    };
  }
}

/** A device with the adapter's own limits and the optional features it has, or null when it refuses. */
export async function requestDevice(adapter: GPUAdapter, label = 'bricolage-compute'): Promise<GPUDevice | null> {
  const requiredLimits: Record<string, number> = {};
  for (const key of LIMIT_KEYS) {
    const value = (adapter.limits as unknown as Record<string, number | undefined>)[key];
    if (typeof value === 'number') requiredLimits[key] = value;
  }
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  try {
    return await adapter.requestDevice({ label, requiredLimits, requiredFeatures });
  } catch (error) {
    console.warn('WebGPU requestDevice failed', error);
    return null;
  }
}
