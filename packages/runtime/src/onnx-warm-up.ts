// Readying onnxruntime as a volunteer starts, when the grid's public list shows ONNX work it may be given:
// loading it and starting its runtime was ~0.7 s of such a job's first unit, paid after the first lease named
// the job (BENCHMARKS.md, browser runtime). A grid of kernels only loads nothing more: its 14 MB of wasm and its
// threads are not worth it there.
import type { BackendClass, ListedProject } from '@bricolage/protocol';
import type { ClientResult } from './client/coordinator-client';
import type { WarmStage } from './executors/executor';

/** Whether an active ONNX job is listed in a project this volunteer serves (`only`: the one project it leases from). */
export function listsOnnxWork(
  list: readonly ListedProject[],
  served: readonly string[] | null,
  only?: string,
): boolean {
  return list.some(
    (p) =>
      (only === undefined || p.id === only) &&
      (served === null || served.includes(p.id)) &&
      p.jobs.some((j) => j.kind === 'onnx' && j.state === 'active'),
  );
}

export interface WarmUp {
  /** The device's ONNX backend, as soon as it is known (null: it runs no ONNX). */
  readonly backend: () => Promise<BackendClass | null>;
  /** The public project list, read now. */
  readonly listed: () => Promise<ClientResult<ListedProject[]>>;
  readonly served: () => readonly string[] | null;
  readonly only?: string;
  /** Settles when the device has been examined (probed, calibrated). */
  readonly examined: () => Promise<unknown>;
  /** Whether the volunteer is still starting or started, and not paused. */
  readonly going: () => boolean;
  readonly warm: (backend: BackendClass, stage: WarmStage) => Promise<void>;
}

/**
 * Its bytes are fetched while the device is examined; its runtime (compiling, threads) starts only after, so that
 * calibration does not time its kernels on a CPU shared with it. Stopped or paused meanwhile, it goes no further.
 * Never rejects: what fails is the first job's preparation's to meet and report.
 */
export async function readyOnnxForListedWork(w: WarmUp): Promise<void> {
  try {
    const [backend, listed] = await Promise.all([w.backend(), w.listed()]);
    if (!backend || !listed.ok || !listsOnnxWork(listed.value, w.served(), w.only) || !w.going()) return;
    await w.warm(backend, 'load');
    await w.examined();
    if (w.going()) await w.warm(backend, 'start');
  } catch (error) {
    // The worker replaced or closed meanwhile.
    console.warn(`onnxruntime was not readied ahead of the first job: ${(error as Error).message}`);
  }
}
