// What the grid's public list says this volunteer may be given, read as it starts: whether onnxruntime is worth
// starting before the first lease names a job (its 14 MB of wasm and its threads are not, for a grid of kernels).
import type { ListedProject } from '@bricolage/protocol';

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
