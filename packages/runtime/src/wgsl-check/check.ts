// Compiles a WGSL source with `createShaderModule` and reads `getCompilationInfo`, then builds the compute
// pipeline against the bind group layout the job's spec declares: the same two steps a volunteer's WebGPU
// executor takes (executors/wgsl), so what fails here would fail there, as `compile_failed`.
import type { WgslBinding } from '@bricolage/protocol';
import { requestDevice } from '../executors/wgsl/gpu';

export interface WgslMessage {
  readonly type: 'error' | 'warning' | 'info';
  /** 1-based, as the compiler reports them; 0 when the message has no position. */
  readonly line: number;
  readonly column: number;
  readonly message: string;
  /** The source line the message points at (empty without a position). */
  readonly excerpt: string;
}

export type WgslCheck =
  /** Compiles, and a pipeline with the spec's bindings builds; warnings may remain. */
  | { readonly status: 'ok'; readonly messages: readonly WgslMessage[]; readonly adapter: string }
  /** The compiler refused the source. */
  | { readonly status: 'compile_error'; readonly messages: readonly WgslMessage[]; readonly adapter: string }
  /** It compiles, but the entry point or the spec's bindings do not fit it. */
  | { readonly status: 'pipeline_error'; readonly message: string; readonly adapter: string }
  /** This browser cannot check (no WebGPU, or no adapter): the coordinator's own check still applies. */
  | { readonly status: 'unavailable'; readonly reason: string };

export interface WgslCheckSpec {
  readonly entryPoint: string;
  readonly bindings: readonly Pick<WgslBinding, 'binding' | 'type' | 'size'>[];
}

const BUFFER_TYPE: Record<WgslBinding['type'], GPUBufferBindingType> = {
  uniform: 'uniform',
  read: 'read-only-storage',
  read_write: 'storage',
};

export async function checkWgsl(source: string, spec?: WgslCheckSpec): Promise<WgslCheck> {
  if (typeof navigator === 'undefined' || !navigator.gpu)
    return { status: 'unavailable', reason: 'this browser has no WebGPU' };
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) return { status: 'unavailable', reason: 'WebGPU gave no adapter' };
  const info = adapter.info;
  const name = [info?.vendor, info?.architecture].filter(Boolean).join(' ') || 'WebGPU';
  const device = await requestDevice(adapter, 'bricolage-wgsl-check');
  if (!device) return { status: 'unavailable', reason: 'WebGPU gave no device' };
  try {
    const module = device.createShaderModule({ label: 'bricolage:check', code: source });
    const lines = source.split('\n');
    const messages = (await module.getCompilationInfo()).messages.map(
      (m): WgslMessage => ({
        type: m.type,
        line: m.lineNum,
        column: m.linePos,
        message: m.message,
        excerpt: m.lineNum > 0 ? (lines[m.lineNum - 1] ?? '') : '',
      }),
    );
    if (messages.some((m) => m.type === 'error')) return { status: 'compile_error', messages, adapter: name };
    if (!spec) return { status: 'ok', messages, adapter: name };

    // minBindingSize is the spec's size, so a WGSL type larger than what the spec declares fails here too.
    device.pushErrorScope('validation');
    const layout = device.createBindGroupLayout({
      label: 'bricolage:check',
      entries: spec.bindings.map((b) => ({
        binding: b.binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: {
          type: BUFFER_TYPE[b.type],
          minBindingSize: b.type === 'uniform' ? Math.ceil(b.size / 16) * 16 : Math.ceil(b.size / 4) * 4,
        },
      })),
    });
    device.createComputePipeline({
      label: 'bricolage:check',
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: spec.entryPoint },
    });
    const error = await device.popErrorScope();
    if (error) return { status: 'pipeline_error', message: error.message, adapter: name };
    return { status: 'ok', messages, adapter: name };
  } finally {
    device.destroy();
  }
}
