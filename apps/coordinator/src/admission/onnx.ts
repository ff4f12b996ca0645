// An ONNX job's model, looked at before the job is admitted: bytes that are not an ONNX model (a ModelProto
// with a graph), or a graph without the inputs and outputs the spec names, would otherwise fail on every
// volunteer as `compile_failed`, unit by unit. A walk of the protobuf's fields, not a parse of the model: the
// graph's tensors and nodes are skipped, not read (a model is tens of megabytes).
import { type Failure, fail, type OnnxSpec } from '@bricolage/protocol';

/** A protobuf field: its number, and for a length-delimited one the bytes it holds. */
interface Field {
  readonly number: number;
  readonly wire: number;
  readonly bytes?: Uint8Array;
  /** A varint's value (wire 0). */
  readonly value?: number;
}

/** The fields of one protobuf message, or null when the bytes are not one (a bad tag, a length past the end). */
export function protobufFields(bytes: Uint8Array): Field[] | null {
  const fields: Field[] = [];
  let at = 0;
  const varint = (): number | null => {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (at >= bytes.length) return null;
      const b = bytes[at++] as number;
      // Past 2^53 the number is wrong, but only lengths and tags are read as numbers, and those are small.
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
    }
    return null;
  };
  while (at < bytes.length) {
    const tag = varint();
    if (tag === null) return null;
    const number = Math.floor(tag / 8);
    const wire = tag % 8;
    if (number === 0) return null;
    if (wire === 0) {
      const value = varint();
      if (value === null) return null;
      fields.push({ number, wire, value });
    } else if (wire === 1 || wire === 5) {
      at += wire === 1 ? 8 : 4;
      if (at > bytes.length) return null;
      fields.push({ number, wire });
    } else if (wire === 2) {
      const length = varint();
      if (length === null || at + length > bytes.length) return null;
      fields.push({ number, wire, bytes: bytes.subarray(at, at + length) });
      at += length;
    } else return null;
  }
  return fields;
}

const text = new TextDecoder();
/** ModelProto.graph = 7; GraphProto.input = 11, output = 12; ValueInfoProto.name = 1. */
const MODEL_GRAPH = 7;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
const VALUE_NAME = 1;

/** ValueInfoProto.type = 2; TypeProto.tensor_type = 1; TypeProto.Tensor.shape = 2; TensorShapeProto.dim = 1. */
const VALUE_TYPE = 2;
const TYPE_TENSOR = 1;
const TENSOR_SHAPE = 2;
const SHAPE_DIM = 1;
/** TensorShapeProto.Dimension.dim_value = 1 (a fixed size). */
const DIM_VALUE = 1;

/** The graph's inputs (or outputs) by name, each its ValueInfoProto's fields; null when one is not a message. */
function values(graph: readonly Field[], number: number): Map<string, Field[]> | null {
  const found = new Map<string, Field[]>();
  for (const field of graph) {
    if (field.number !== number || !field.bytes) continue;
    const value = protobufFields(field.bytes);
    if (!value) return null;
    const name = value.find((f) => f.number === VALUE_NAME && f.bytes);
    if (name?.bytes) found.set(text.decode(name.bytes), value);
  }
  return found;
}

/** The first message field `number` of a message's fields, as fields, or null. */
function child(fields: readonly Field[] | null, number: number): Field[] | null {
  const field = fields?.find((f) => f.number === number && f.bytes);
  return field?.bytes ? protobufFields(field.bytes) : null;
}

/** Whether a graph input or output has a fixed size in its first dimension (no shape at all takes any). */
function fixedFirstDimension(value: readonly Field[]): boolean {
  const shape = child(child(child(value, VALUE_TYPE), TYPE_TENSOR), TENSOR_SHAPE);
  const first = child(shape, SHAPE_DIM);
  return first?.some((f) => f.number === DIM_VALUE && f.wire === 0) ?? false;
}

/**
 * A graph input's or output's dimensions as the model declares them: each a fixed size, or null (symbolic or
 * unsaid); null for the whole when the model declares no shape (it then takes any).
 */
function declaredShape(value: readonly Field[]): (number | null)[] | null {
  const shape = child(child(child(value, VALUE_TYPE), TYPE_TENSOR), TENSOR_SHAPE);
  if (!shape) return null;
  return shape
    .filter((f) => f.number === SHAPE_DIM && f.bytes)
    .map(
      (f) => protobufFields(f.bytes as Uint8Array)?.find((d) => d.number === DIM_VALUE && d.wire === 0)?.value ?? null,
    );
}

/** Where the spec's shape of `tensor` contradicts the model's declared one, said; null when it does not. */
function shapeProblem(
  kind: 'input' | 'output',
  tensor: { name: string; shape: readonly number[] },
  value: readonly Field[],
): string | null {
  const declared = declaredShape(value);
  if (!declared) return null;
  const shown = `[${declared.map((d) => d ?? '?').join(', ')}]`;
  const fits = declared.length === tensor.shape.length && declared.every((d, i) => d === null || d === tensor.shape[i]);
  return fits ? null : `${kind} ${tensor.name} is ${shown} in the model, not [${tensor.shape.join(', ')}]`;
}

/** Why the model cannot serve the spec, or null. */
export function onnxModelProblem(spec: OnnxSpec, model: Uint8Array): Failure | null {
  const refuse = (why: string) => fail('bad_request', `spec.model: ${why}`).error;
  const top = model.length === 0 ? null : protobufFields(model);
  const graphField = top?.find((f) => f.number === MODEL_GRAPH && f.bytes);
  const graph = graphField?.bytes ? protobufFields(graphField.bytes) : null;
  if (!graph) return refuse('not an ONNX model (no ModelProto with a graph in these bytes)');
  const inputs = values(graph, GRAPH_INPUT);
  const outputs = values(graph, GRAPH_OUTPUT);
  if (!inputs || !outputs) return refuse("not an ONNX model (the graph's inputs or outputs do not parse)");
  const missing = [
    ...spec.inputs.filter((t) => !inputs.has(t.name)).map((t) => `input ${t.name}`),
    ...spec.outputs.filter((t) => !outputs.has(t.name)).map((t) => `output ${t.name}`),
  ];
  if (missing.length > 0)
    return refuse(
      `the model's graph has no ${missing.join(', ')} (its inputs: ${[...inputs.keys()].join(', ') || 'none'}; its outputs: ${[...outputs.keys()].join(', ') || 'none'})`,
    );
  if (spec.stackable) {
    // Stacked units make a run's first dimension a multiple of one unit's: a fixed size there fails every run.
    const fixed = [
      ...spec.inputs.filter((t) => fixedFirstDimension(inputs.get(t.name)!)).map((t) => `input ${t.name}`),
      ...spec.outputs.filter((t) => fixedFirstDimension(outputs.get(t.name)!)).map((t) => `output ${t.name}`),
    ];
    if (fixed.length > 0)
      return fail(
        'bad_request',
        `spec.stackable: the model's ${fixed.join(', ')} ${fixed.length > 1 ? 'have' : 'has'} a fixed first dimension; stacking units needs a symbolic one (or set stackable to false)`,
      ).error;
  }
  // A shape the model contradicts fails every unit at the volunteers ("invalid dimensions"): said here instead.
  const shapes = [
    ...spec.inputs.map((t) => shapeProblem('input', t, inputs.get(t.name)!)),
    ...spec.outputs.map((t) => shapeProblem('output', t, outputs.get(t.name)!)),
  ].filter((p) => p !== null);
  if (shapes.length > 0) return refuse(`the spec's shapes do not fit the model: ${shapes.join('; ')}`);
  return null;
}
