// The `cnn` and `physics` ONNX workloads: job definition, deterministic work units and CPU reference.
import { type Comparator, sha256Hex } from '@bricolage/protocol';
import type { JobBundle, WorkUnitInput, Workload } from '../workload';
import { cnnGraph, cnnInputs } from './cnn';
import { decodeModel, encodeModel } from './codec';
import type { Graph } from './graph';
import { physicsGraph, physicsInputs } from './physics';
import { mulberry32 } from './prng';
import { evaluateGraph } from './reference';
import { packF32, unpackF32 } from './tensors';

export interface OnnxWorkloadParams {
  /** How many work units (batches) to generate. */
  readonly workUnits: number;
  /** Seed for the inputs; the same seed gives the same work units. Defaults to 1. */
  readonly seed?: number;
}

interface OnnxModel {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly graph: () => Graph;
  readonly inputs: (next: () => number) => Float32Array[];
  readonly comparator: Comparator;
  readonly timeBudgetMs: number;
}

/** Work unit i draws from its own stream, so any one of them can be regenerated alone. */
const workUnitSeed = (seed: number, index: number): number => (seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0;

function onnxWorkload(model: OnnxModel): Workload<OnnxWorkloadParams> {
  // Built on first use and kept: encoding is deterministic, so one copy serves every job.
  let cached: { bytes: Uint8Array; graph: Graph } | undefined;
  const built = () => {
    if (!cached) {
      const graph = model.graph();
      const bytes = encodeModel(graph);
      // The reference evaluates the decoded bytes, i.e. exactly what volunteers download.
      const sizes = graph.stacked ? { [graph.stacked]: graph.inputs[0]!.shape[0]! } : {};
      cached = { bytes, graph: decodeModel(bytes, sizes) };
    }
    return cached;
  };
  return {
    name: model.name,
    async job(): Promise<JobBundle> {
      const { bytes, graph } = built();
      return {
        request: {
          name: model.title,
          description: model.description,
          spec: {
            kind: 'onnx',
            model: await sha256Hex(bytes),
            inputs: [...graph.inputs],
            outputs: [...graph.outputs],
            forbidNaN: true,
            ...(graph.stacked ? { stackable: true } : {}),
          },
          comparator: model.comparator,
          costPerWorkUnit: 1,
          timeBudgetMs: model.timeBudgetMs,
        },
        blobs: [bytes],
      };
    },
    *workUnits(params: OnnxWorkloadParams): Iterable<WorkUnitInput> {
      const seed = params.seed ?? 1;
      for (let i = 0; i < params.workUnits; i++) {
        const input = packF32(model.inputs(mulberry32(workUnitSeed(seed, i))));
        yield { input, tag: `${model.name}-${seed}-${i}` };
      }
    },
    reference(input: Uint8Array): Uint8Array {
      const { graph } = built();
      return packF32(evaluateGraph(graph, unpackF32(input, graph.inputs)));
    },
  };
}

/*
 * Tolerances. Comparison is |a − b| ≤ atol + rtol·|b| per f32 element. Replicas may come from
 * onnxruntime's wasm EP, its WebGPU EP and this float64 reference, which sum in different orders,
 * so results agree to a few f32 ulps (unit roundoff 6e-8), not bit for bit. Every op in both graphs
 * is continuous (no argmax, no thresholds on outputs) and diffusion is contractive, so rounding
 * differences stay that small rather than flipping a discrete outcome. Measured, ORT wasm against
 * the reference over 64 work units: cnn max |Δ| 1.5e-7, physics max |Δ| 2.4e-7; the worst element
 * used 1.2% of the allowance below, leaving ~80× headroom for other backends (WGSL's exp, say).
 * A wrong computation lands far outside: one heat step fewer moves outputs by 7e-3…1e-2, ≥ 230×
 * the allowance (reference.test.ts checks it is rejected). atol matters near zero, where the
 * physics field's cold cells and small class probabilities make relative error meaningless.
 */
export const CNN_COMPARATOR: Comparator = { kind: 'float', rtol: 1e-4, atol: 1e-6 };
export const PHYSICS_COMPARATOR: Comparator = { kind: 'float', rtol: 1e-4, atol: 1e-6 };

export const cnn = onnxWorkload({
  name: 'cnn',
  title: 'CNN image classifier (example)',
  description:
    'Batch inference of a small convolutional network on 8 synthetic 16×16 images per work unit; ' +
    'outputs class probabilities [8,10].',
  graph: cnnGraph,
  inputs: cnnInputs,
  comparator: CNN_COMPARATOR,
  timeBudgetMs: 30_000,
});

export const physics = onnxWorkload({
  name: 'physics',
  title: '2D heat diffusion, FTCS (example)',
  description:
    '32 explicit finite-difference steps of the heat equation on 8 fields of 64×64 per work unit, ' +
    'cold Dirichlet boundary; outputs the final field and its mean temperature.',
  graph: physicsGraph,
  inputs: physicsInputs,
  comparator: PHYSICS_COMPARATOR,
  timeBudgetMs: 30_000,
});
