// The typed surface of the compute worker, as the page sees it through comlink.
import type { BackendClass, JobSpec } from '@bricolage/protocol';
import type { CalibrationOptions, CalibrationReport } from '../calibration/calibrate';
import type { DeviceProbe } from '../executors/device-probe';
import { type ComputeErrorCode, WGSL_RING, type WarmStage } from '../executors/executor';
import type { OrtWasmSource } from '../executors/onnx/ort-wasm';

export type { DeviceProbe };

/** Work units the worker computes at once on each backend: WebGPU keeps a ring of them in flight. */
export const IN_FLIGHT: Readonly<Record<BackendClass, number>> = {
  webgpu: WGSL_RING,
  wasm: 1,
  'onnx-wasm': 1,
  'onnx-webgpu': 1,
};

export interface ComputeConfig {
  /** URL prefix where onnxruntime-web's .wasm files are served; unset, where the bundler emitted them. */
  readonly ortWasmPaths?: string;
  /** Threads for onnxruntime's wasm EP when cross-origin isolated; defaults to hardwareConcurrency (max 4). */
  readonly ortThreads?: number;
}

export interface PrepareRequest {
  readonly job: string;
  readonly spec: JobSpec;
  readonly backend: BackendClass;
  /** Asset bytes by SHA-256 hex; the worker checks each against its name before use. */
  readonly assets: Map<string, Uint8Array>;
}

export type Failed = { readonly ok: false; readonly code: ComputeErrorCode; readonly message: string };

export type PrepareOutcome = { readonly ok: true } | Failed;

/** When the worker started and finished a work unit: `performance.timeOrigin + performance.now()`, ms. */
export interface WorkerSpan {
  readonly startedAt?: number;
  readonly endedAt?: number;
}

export type ComputeOutcome =
  | ({
      readonly ok: true;
      readonly output: Uint8Array;
      /** SHA-256 of `output`, lowercase hex. */
      readonly outputHash: string;
      readonly backend: BackendClass;
      /** Time spent in the executor, input upload to output read back. */
      readonly elapsedMs: number;
    } & WorkerSpan)
  | (Failed & { readonly backend?: BackendClass } & WorkerSpan);

/**
 * Outcomes as `runMany` posts them: those of the units at `first`, `first + 1`, … of the call's inputs, in one
 * message for the units of one stacked run (one per unit otherwise).
 */
export interface OutcomeRun {
  readonly first: number;
  readonly outcomes: readonly ComputeOutcome[];
}

export interface ComputeApi {
  /** `ortWasm`: the page's source of onnxruntime's .wasm bytes (a comlink proxy), asked when a build loads. */
  configure(config: ComputeConfig, ortWasm?: OrtWasmSource): Promise<void>;
  probe(): Promise<DeviceProbe>;
  calibrate(options?: CalibrationOptions): Promise<CalibrationReport>;
  /**
   * Readies what every job of `backend` needs before the first such job arrives (onnxruntime: `load` its module
   * and wasm, `start` also its runtime and threads), so that the job's preparation pays only for its own code.
   * Resolves when done or failed (a failure is the job's preparation's to report).
   */
  warm(backend: BackendClass, stage: WarmStage): Promise<void>;
  prepare(request: PrepareRequest): Promise<PrepareOutcome>;
  /** Runs one work unit; runs start in the order they arrive (several at once only on WebGPU's ring). */
  run(job: string, input: Uint8Array): Promise<ComputeOutcome>;
  /**
   * Runs several work units of one job back to back in one call, posting each one's outcome on `outcomes` as
   * it ends (an `OutcomeRun`, so that the page can hold each to its own time budget: the units run together in
   * one stacked run end together, and go in one message); resolves when all have run. A port, not a callback: a
   * callback through comlink is answered, and the answer is a message the worker handles between units.
   */
  runMany(job: string, inputs: Uint8Array[], outcomes: MessagePort): Promise<void>;
  forget(job: string): Promise<void>;
  /** Device losses observed by this worker so far. */
  deviceLosses(): Promise<number>;
  /** Test hook: `now` destroys the device at once; `during-next-run` between the next dispatch and its readback. */
  destroyDevice(when: 'now' | 'during-next-run'): Promise<void>;
}
