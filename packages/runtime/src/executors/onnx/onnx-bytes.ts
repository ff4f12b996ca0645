// Small ONNX models written by hand: only the few protobuf fields a graph of plain ops needs (no weights), for
// the calibration's timing model and for tests. A dimension given as a string is symbolic (any size).

const varint = (value: number): number[] => {
  const out: number[] = [];
  let v = value;
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) byte |= 0x80;
    out.push(byte);
  } while (v > 0);
  return out;
};
const key = (field: number, wire: number) => varint(field * 8 + wire);
const int = (field: number, value: number) => [...key(field, 0), ...varint(value)];
const bytes = (field: number, body: number[]) => [...key(field, 2), ...varint(body.length), ...body];
const text = (field: number, value: string) => bytes(field, [...new TextEncoder().encode(value)]);

const FLOAT = 1;

export interface TinyTensor {
  readonly name: string;
  /** float32; a string is a symbolic dimension (TensorShapeProto.Dimension.dim_param), a number a fixed one. */
  readonly shape: readonly (number | string)[];
}

export interface TinyNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

function valueInfo({ name, shape }: TinyTensor): number[] {
  const dims = shape.flatMap((d) => bytes(1, typeof d === 'string' ? text(2, d) : int(1, d)));
  const tensorType = [...int(1, FLOAT), ...bytes(2, dims)];
  return [...text(1, name), ...bytes(2, bytes(1, tensorType))];
}

/** An opset-13 model of `nodes` (in order) from `inputs` to `outputs`, all float32. */
export function tinyModel(
  name: string,
  nodes: readonly TinyNode[],
  inputs: readonly TinyTensor[],
  outputs: readonly TinyTensor[],
): Uint8Array {
  const graph = [
    ...nodes.flatMap((n, i) =>
      bytes(1, [
        ...n.inputs.flatMap((x) => text(1, x)),
        ...n.outputs.flatMap((y) => text(2, y)),
        ...text(3, `${n.op.toLowerCase()}_${i}`),
        ...text(4, n.op),
      ]),
    ),
    ...text(2, name),
    ...inputs.flatMap((t) => bytes(11, valueInfo(t))),
    ...outputs.flatMap((t) => bytes(12, valueInfo(t))),
  ];
  const model = [
    ...int(1, 8),
    ...text(2, 'bricolage'),
    ...bytes(7, graph),
    ...bytes(8, [...text(1, ''), ...int(2, 13)]),
  ];
  return new Uint8Array(model);
}
