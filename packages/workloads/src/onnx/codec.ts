// Graph <-> ONNX ModelProto bytes, via onnx-proto's generated protobuf encoders. Browser-safe.
import onnxProto, { type onnx as Onnx } from 'onnx-proto';
import { type Attribute, checkGraph, type Graph, IR_VERSION, type Initializer, type Node, OPSET } from './graph';

// onnx-proto is CommonJS whose named export Node's ESM loader cannot see; the default import works
// under Node, tsx, vitest and Vite alike.
const { onnx } = onnxProto;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const AttributeType = onnx.AttributeProto.AttributeType;

function floatBytes(data: Float32Array): Uint8Array {
  // ONNX raw_data is little-endian whatever the host; DataView says so explicitly.
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i] as number, true);
  return out;
}

const valueInfo =
  (stacked: string | undefined) =>
  (t: Graph['inputs'][number]): Onnx.IValueInfoProto => {
    if (t.dtype !== 'float32') throw new Error(`${t.name}: only float32 graph inputs and outputs are supported`);
    const dim = t.shape.map(
      (d, i): Onnx.TensorShapeProto.IDimension =>
        i === 0 && stacked !== undefined ? { dimParam: stacked } : { dimValue: d },
    );
    return { name: t.name, type: { tensorType: { elemType: FLOAT, shape: { dim } } } };
  };

function attribute(name: string, a: Attribute): Onnx.IAttributeProto {
  switch (a.type) {
    case 'int':
      return { name, type: AttributeType.INT, i: a.value };
    case 'ints':
      return { name, type: AttributeType.INTS, ints: [...a.value] };
    case 'float':
      return { name, type: AttributeType.FLOAT, f: a.value };
  }
}

/** Encodes a graph as a complete ONNX model. Same graph in, same bytes out: no timestamps, no names of hosts. */
export function encodeModel(graph: Graph): Uint8Array {
  checkGraph(graph);
  const model: Onnx.IModelProto = {
    irVersion: IR_VERSION,
    producerName: 'bricolage',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: graph.name,
      input: graph.inputs.map(valueInfo(graph.stacked)),
      output: graph.outputs.map(valueInfo(graph.stacked)),
      initializer: graph.initializers.map((t) => ({
        name: t.name,
        dims: [...t.dims],
        dataType: FLOAT,
        rawData: floatBytes(t.data),
      })),
      node: graph.nodes.map((n, i) => ({
        name: `${n.op.toLowerCase()}_${i}`,
        opType: n.op,
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attributes ?? {}).map(([k, a]) => attribute(k, a)),
      })),
    },
  };
  // Under Node protobufjs returns a Buffer, possibly a slice of a shared pool: copy into a plain,
  // exactly sized Uint8Array so callers can hand `.buffer` on and compare bytes anywhere.
  return new Uint8Array(onnx.ModelProto.encode(model).finish());
}

/** protobufjs yields int64 as a number, or as a Long where the `long` package is loadable. */
const toNumber = (v: number | { toNumber(): number }): number => (typeof v === 'number' ? v : v.toNumber());

function decodeAttribute(a: Onnx.IAttributeProto): Attribute {
  switch (a.type) {
    case AttributeType.INT:
      return { type: 'int', value: toNumber(a.i ?? 0) };
    case AttributeType.INTS:
      return { type: 'ints', value: (a.ints ?? []).map(toNumber) };
    case AttributeType.FLOAT:
      return { type: 'float', value: a.f ?? 0 };
    default:
      throw new Error(`attribute ${a.name}: type ${a.type} is not supported`);
  }
}

function decodeInitializer(t: Onnx.ITensorProto): Initializer {
  if (t.dataType !== FLOAT) throw new Error(`initializer ${t.name}: only float32 is supported`);
  const dims = (t.dims ?? []).map(toNumber);
  const raw = t.rawData;
  let data: Float32Array;
  if (raw && raw.length > 0) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    data = new Float32Array(raw.byteLength / 4);
    for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(i * 4, true);
  } else {
    data = Float32Array.from(t.floatData ?? []);
  }
  return { name: t.name ?? '', dims, data };
}

/** A graph input or output, and the name of its symbolic first dimension if it has one. */
function decodeValueInfo(
  v: Onnx.IValueInfoProto,
  sizes: Readonly<Record<string, number>>,
): { tensor: Graph['inputs'][number]; stacked?: string } {
  const tensor = v.type?.tensorType;
  if (tensor?.elemType !== FLOAT) throw new Error(`${v.name}: only float32 graph inputs and outputs are supported`);
  let stacked: string | undefined;
  const shape = (tensor.shape?.dim ?? []).map((d, i) => {
    if (d.dimValue !== null && d.dimValue !== undefined) return toNumber(d.dimValue);
    const size = d.dimParam ? sizes[d.dimParam] : undefined;
    if (i !== 0 || size === undefined)
      throw new Error(`${v.name}: symbolic dimensions are supported first only, and with a size given for one unit`);
    stacked = d.dimParam as string;
    return size;
  });
  return { tensor: { name: v.name ?? '', dtype: 'float32', shape }, ...(stacked ? { stacked } : {}) };
}

/**
 * Reads a model back into a graph, so the reference can evaluate exactly the bytes that ship. `sizes` gives a
 * symbolic first dimension its size in one unit (the graph's `stacked`, which every input and output shares).
 */
export function decodeModel(bytes: Uint8Array, sizes: Readonly<Record<string, number>> = {}): Graph {
  const model = onnx.ModelProto.decode(bytes);
  const g = model.graph;
  if (!g) throw new Error('model has no graph');
  const nodes: Node[] = (g.node ?? []).map((n) => {
    const attributes: Record<string, Attribute> = {};
    for (const a of n.attribute ?? []) attributes[a.name ?? ''] = decodeAttribute(a);
    return { op: n.opType ?? '', inputs: n.input ?? [], outputs: n.output ?? [], attributes };
  });
  const inputs = (g.input ?? []).map((v) => decodeValueInfo(v, sizes));
  const outputs = (g.output ?? []).map((v) => decodeValueInfo(v, sizes));
  const stacked = new Set([...inputs, ...outputs].map((t) => t.stacked));
  if (stacked.size > 1) throw new Error('the inputs and outputs must all have one symbolic first dimension, or none');
  const [name] = stacked;
  const graph: Graph = {
    name: g.name ?? '',
    inputs: inputs.map((t) => t.tensor),
    outputs: outputs.map((t) => t.tensor),
    initializers: (g.initializer ?? []).map(decodeInitializer),
    nodes,
    ...(name ? { stacked: name } : {}),
  };
  checkGraph(graph);
  return graph;
}
