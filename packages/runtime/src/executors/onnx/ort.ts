// Loads onnxruntime-web on first use: the wasm-only build (≈14 MB of wasm) unless the WebGPU execution
// provider is wanted, which needs the larger WebGPU build. Each build is loaded and configured once.
import type * as Ort from 'onnxruntime-web';
import { type OrtBuild, type OrtWasmSource, ortWasmBinary } from './ort-wasm';

export type OrtModule = typeof Ort;
export type { OrtBuild };

export interface OrtConfig {
  /**
   * URL prefix where onnxruntime-web's .wasm files are served. Unset, onnxruntime finds them next to
   * its own module, which is where a bundler (Vite) emits them.
   */
  readonly wasmPaths?: string;
  /** Threads for the wasm EP; only honoured when the page is cross-origin isolated. */
  readonly numThreads: number;
  /**
   * The .wasm bytes, from the page (peers first, then the coordinator): with them onnxruntime fetches no
   * .wasm itself. Unset, or null for a file, and it fetches the file by URL as before.
   */
  readonly wasmBinary?: OrtWasmSource;
}

export class OrtLoader {
  readonly #config: OrtConfig;
  readonly #builds = new Map<OrtBuild, Promise<OrtModule>>();

  constructor(config: OrtConfig) {
    this.#config = config;
  }

  get threads(): number {
    return threadsFor(this.#config.numThreads);
  }

  /** The build serving an execution provider: the WebGPU build also runs the wasm EP, so reuse it once loaded. */
  forProvider(provider: 'wasm' | 'webgpu'): Promise<OrtModule> {
    return this.load(provider === 'webgpu' || this.#builds.has('webgpu') ? 'webgpu' : 'wasm');
  }

  load(build: OrtBuild): Promise<OrtModule> {
    let loading = this.#builds.get(build);
    if (!loading) {
      loading = Promise.all([
        build === 'webgpu' ? import('onnxruntime-web/webgpu') : import('onnxruntime-web/wasm'),
        ortWasmBinary(this.#config.wasmBinary, build),
      ]).then(([ort, binary]) => {
        if (this.#config.wasmPaths) ort.env.wasm.wasmPaths = this.#config.wasmPaths;
        // Read when onnxruntime first initialises (the first session), which is after this.
        if (binary) ort.env.wasm.wasmBinary = binary;
        ort.env.wasm.numThreads = this.threads;
        ort.env.wasm.proxy = false;
        ort.env.logLevel = 'error';
        return ort;
      });
      this.#builds.set(build, loading);
      loading.catch(() => this.#builds.delete(build));
    }
    return loading;
  }
}

/** Multithreaded wasm needs SharedArrayBuffer, which only a cross-origin isolated page has. */
export function threadsFor(requested: number): number {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  return isolated ? Math.max(1, Math.floor(requested)) : 1;
}
