// Writes the example ONNX models to dist/models/*.onnx (or to --out DIR). The models are built in
// src/onnx; this script only writes files, and leaves a file alone when its bytes are unchanged.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildCnnModel } from '../src/onnx/cnn';
import { buildPhysicsModel } from '../src/onnx/physics';
import { type ModelName, modelPath } from '../src/onnx/node';

const builders: Record<ModelName, () => Uint8Array> = { cnn: buildCnnModel, physics: buildPhysicsModel };

const outFlag = process.argv.indexOf('--out');
const outDir = outFlag >= 0 ? process.argv[outFlag + 1] : undefined;
if (outFlag >= 0 && !outDir) throw new Error('usage: build-models.ts [--out DIR]');

for (const [name, build] of Object.entries(builders) as [ModelName, () => Uint8Array][]) {
  const path = outDir ? join(outDir, `${name}.onnx`) : modelPath(name);
  const bytes = build();
  const same = existsSync(path) && Buffer.compare(readFileSync(path), bytes) === 0;
  if (!same) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
  }
  const hash = createHash('sha256').update(bytes).digest('hex');
  console.log(`${name}.onnx  ${bytes.length} B  sha256 ${hash}  ${same ? 'unchanged' : 'written'}`);
}
