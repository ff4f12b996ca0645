// The in-memory description of our ONNX models, shared by the encoder (what ships) and the CPU
// reference (what checks it), so both read the very same weights.
import type { TensorSpec } from '@bricolage/protocol';

/** Only the attribute kinds our ops use; the encoder needs to know int from float. */
export type Attribute =
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly type: 'float'; readonly value: number };

export interface Node {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: Readonly<Record<string, Attribute>>;
}

/** A float32 constant (weights, biases, stencils). */
export interface Initializer {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

export interface Graph {
  readonly name: string;
  /** Graph inputs and outputs, in the order of the work-unit ABI. All float32. */
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly initializers: readonly Initializer[];
  /** Topologically sorted, as ONNX requires. */
  readonly nodes: readonly Node[];
  /**
   * The name of a symbolic first dimension on every input and output: the model takes any number of samples
   * there, so that a volunteer may stack several units in one run (the job's `stackable`). The shapes above
   * stay one unit's.
   */
  readonly stacked?: string;
}

/** ONNX opset all our graphs target: every op we use exists there and in onnxruntime-web's wasm EP. */
export const OPSET = 13;
/** IR version 7 is the one released with opset 13 (ONNX 1.8). */
export const IR_VERSION = 7;

export const int = (value: number): Attribute => ({ type: 'int', value });
export const ints = (...value: number[]): Attribute => ({ type: 'ints', value });
export const float = (value: number): Attribute => ({ type: 'float', value });

export const elementCount = (dims: readonly number[]): number => dims.reduce((n, d) => n * d, 1);

/** A graph is only well formed if every tensor a node reads was produced before it. */
export function checkGraph(graph: Graph): void {
  const known = new Set<string>([...graph.inputs.map((t) => t.name), ...graph.initializers.map((t) => t.name)]);
  for (const init of graph.initializers) {
    if (init.data.length !== elementCount(init.dims)) throw new Error(`initializer ${init.name}: size ≠ dims`);
  }
  for (const node of graph.nodes) {
    for (const input of node.inputs) if (!known.has(input)) throw new Error(`${node.op} reads unknown ${input}`);
    for (const output of node.outputs) known.add(output);
  }
  for (const output of graph.outputs) if (!known.has(output.name)) throw new Error(`output ${output.name} unset`);
}
