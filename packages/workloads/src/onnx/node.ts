// Node only (reached through `@bricolage/workloads/node`, never from the package index): where the
// build script puts the models.
import { join } from 'node:path';

export type ModelName = 'cnn' | 'physics';

export const MODEL_NAMES: readonly ModelName[] = ['cnn', 'physics'];

/** Absolute path of `packages/workloads/dist/models/<name>.onnx`, written by `npm run build:models`. */
export function modelPath(name: ModelName): string {
  return join(import.meta.dirname, '..', '..', 'dist', 'models', `${name}.onnx`);
}
