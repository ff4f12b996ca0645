// Node only: where the build script puts the models. Uses import.meta.dirname (Node ≥ 20.11) rather
// than node:path, so that importing the package index in a browser bundle stays harmless.
export type ModelName = 'cnn' | 'physics';

export const MODEL_NAMES: readonly ModelName[] = ['cnn', 'physics'];

/** Absolute path of `packages/workloads/dist/models/<name>.onnx`, written by `npm run build:models`. */
export function modelPath(name: ModelName): string {
  const here = import.meta.dirname;
  if (!here) throw new Error('modelPath is Node-only: import.meta.dirname is undefined here');
  const packageRoot = here.replace(/[\\/]src[\\/]onnx$/, '');
  return `${packageRoot}/dist/models/${name}.onnx`;
}
