// `cnn`: a small image classifier, the shape of network volunteers would run for batch inference.
// images [8,1,16,16] → Conv 8×3×3 → Relu → MaxPool 2×2 → Conv 16×3×3 → Relu → GlobalAveragePool
//   → Flatten → Gemm 16→10 → Softmax → probabilities [8,10]
// Eight images a work unit; the model's first dimension is symbolic, so a run may take several units' images.
import { encodeModel } from './codec';
import { type Graph, type Initializer, int, ints } from './graph';
import { mulberry32, uniform } from './prng';

export const CNN_BATCH = 8;
export const CNN_SIZE = 16;
export const CNN_CLASSES = 10;
/** Changing the seed changes the weights, hence the model hash: existing jobs keep their old model. */
const WEIGHT_SEED = 0xc0ffee;

/** He-uniform bound for a layer with `fanIn` inputs: keeps activations O(1) through the ReLUs. */
const heBound = (fanIn: number): number => Math.sqrt(6 / fanIn);

export function cnnGraph(): Graph {
  const next = mulberry32(WEIGHT_SEED);
  const tensor = (name: string, dims: number[], scale: number): Initializer => ({
    name,
    dims,
    data: uniform(
      next,
      dims.reduce((n, d) => n * d, 1),
      scale,
    ),
  });
  const initializers = [
    tensor('conv1.w', [8, 1, 3, 3], heBound(9)),
    tensor('conv1.b', [8], 0.1),
    tensor('conv2.w', [16, 8, 3, 3], heBound(72)),
    tensor('conv2.b', [16], 0.1),
    // Gemm's B is [out, in] with transB = 1, the layout of a PyTorch Linear.
    tensor('fc.w', [CNN_CLASSES, 16], heBound(16) * 2),
    tensor('fc.b', [CNN_CLASSES], 0.1),
  ];
  const same3x3 = { kernel_shape: ints(3, 3), pads: ints(1, 1, 1, 1), strides: ints(1, 1) };
  return {
    // Every op works on each image apart (Softmax along the classes): any number of images per run.
    stacked: 'samples',
    name: 'bricolage_cnn',
    inputs: [{ name: 'images', dtype: 'float32', shape: [CNN_BATCH, 1, CNN_SIZE, CNN_SIZE] }],
    outputs: [{ name: 'probabilities', dtype: 'float32', shape: [CNN_BATCH, CNN_CLASSES] }],
    initializers,
    nodes: [
      { op: 'Conv', inputs: ['images', 'conv1.w', 'conv1.b'], outputs: ['c1'], attributes: same3x3 },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
      { op: 'MaxPool', inputs: ['r1'], outputs: ['p1'], attributes: { kernel_shape: ints(2, 2), strides: ints(2, 2) } },
      { op: 'Conv', inputs: ['p1', 'conv2.w', 'conv2.b'], outputs: ['c2'], attributes: same3x3 },
      { op: 'Relu', inputs: ['c2'], outputs: ['r2'] },
      { op: 'GlobalAveragePool', inputs: ['r2'], outputs: ['g'] },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'], attributes: { axis: int(1) } },
      { op: 'Gemm', inputs: ['f', 'fc.w', 'fc.b'], outputs: ['logits'], attributes: { transB: int(1) } },
      { op: 'Softmax', inputs: ['logits'], outputs: ['probabilities'], attributes: { axis: int(1) } },
    ],
  };
}

export const buildCnnModel = (): Uint8Array => encodeModel(cnnGraph());

/**
 * One batch of synthetic 16×16 greyscale images in [0, 1]: two or three soft blobs on a faint noise
 * floor, so the ReLUs see structure rather than white noise and the classes are not all ties.
 */
export function cnnInputs(next: () => number): Float32Array[] {
  const images = new Float32Array(CNN_BATCH * CNN_SIZE * CNN_SIZE);
  for (let b = 0; b < CNN_BATCH; b++) {
    const blobs = Array.from({ length: 2 + Math.floor(next() * 2) }, () => ({
      x: next() * CNN_SIZE,
      y: next() * CNN_SIZE,
      sigma: 1.5 + next() * 3,
      amplitude: 0.4 + next() * 0.6,
    }));
    for (let y = 0; y < CNN_SIZE; y++)
      for (let x = 0; x < CNN_SIZE; x++) {
        let v = next() * 0.05;
        for (const blob of blobs) {
          const d2 = (x - blob.x) ** 2 + (y - blob.y) ** 2;
          v += blob.amplitude * Math.exp(-d2 / (2 * blob.sigma ** 2));
        }
        images[(b * CNN_SIZE + y) * CNN_SIZE + x] = Math.min(v, 1);
      }
  }
  return [images];
}
