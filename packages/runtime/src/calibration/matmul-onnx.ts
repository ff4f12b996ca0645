// A hand-encoded ONNX model, C = A·B with A, B: float32[n, n], used to time onnxruntime's execution
// providers against each other on this device. Only the few protobuf fields ONNX needs are written.

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

function valueInfo(name: string, shape: number[]): number[] {
  const dims = shape.flatMap((d) => bytes(1, int(1, d)));
  const tensorType = [...int(1, FLOAT), ...bytes(2, dims)];
  return [...text(1, name), ...bytes(2, bytes(1, tensorType))];
}

export function matmulModel(n: number): Uint8Array {
  const node = [...text(1, 'A'), ...text(1, 'B'), ...text(2, 'C'), ...text(3, 'matmul'), ...text(4, 'MatMul')];
  const graph = [
    ...bytes(1, node),
    ...text(2, 'bricolage-calibration'),
    ...bytes(11, valueInfo('A', [n, n])),
    ...bytes(11, valueInfo('B', [n, n])),
    ...bytes(12, valueInfo('C', [n, n])),
  ];
  const model = [
    ...int(1, 8),
    ...text(2, 'bricolage'),
    ...bytes(7, graph),
    ...bytes(8, [...text(1, ''), ...int(2, 13)]),
  ];
  return new Uint8Array(model);
}
