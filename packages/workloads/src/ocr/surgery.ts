// Build-time surgery on PaddleOCR's PP-OCRv4 models (onnx-proto): pre-processing moved into the graph in front,
// a small, exactly comparable output appended behind. Browser-safe: it only rewrites protobuf bytes.
import onnxProto, { type onnx as Onnx } from 'onnx-proto';

const { onnx } = onnxProto;
const DataType = onnx.TensorProto.DataType;
const AttributeType = onnx.AttributeProto.AttributeType;

/** The side of the square canvas a page is fitted into for detection (a multiple of 32, as DBNet wants). */
export const DET_SIZE = 640;
/** The detector's probability map is max-pooled by this factor before it leaves the volunteer. */
export const DET_POOL = 4;
/** Line images for recognition: height (the model's), and the fixed width every line is fitted into. */
export const REC_HEIGHT = 48;
export const REC_WIDTH = 640;
/** CTC time steps: the recogniser downsamples the width by 8. */
export const REC_STEPS = REC_WIDTH / 8;
/** Lines per recognition work unit. */
export const REC_BATCH = 8;

const floatTensor = (name: string, dims: number[], values: number[]): Onnx.ITensorProto => {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => {
    view.setFloat32(i * 4, v, true);
  });
  return { name, dims, dataType: DataType.FLOAT, rawData: raw };
};

const node = (
  opType: string,
  input: string[],
  output: string[],
  attribute: Onnx.IAttributeProto[] = [],
): Onnx.INodeProto => ({ name: `bricolage_${output[0]}`, opType, input, output, attribute });

const ints = (name: string, values: number[]): Onnx.IAttributeProto => ({
  name,
  type: AttributeType.INTS,
  ints: values,
});
const int = (name: string, value: number): Onnx.IAttributeProto => ({ name, type: AttributeType.INT, i: value });

const tensorInfo = (name: string, elemType: number, dims: (number | string)[]): Onnx.IValueInfoProto => ({
  name,
  type: {
    tensorType: {
      elemType,
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  },
});

function decode(bytes: Uint8Array, input: string, output: string): Onnx.ModelProto {
  const model = onnx.ModelProto.decode(bytes);
  const g = model.graph;
  if (!g) throw new Error('the model has no graph');
  const [inputs, outputs] = [g.input ?? [], g.output ?? []];
  if (inputs.length !== 1 || inputs[0]?.name !== input)
    throw new Error(`expected one graph input named ${input}, found ${inputs.map((v) => v.name).join(', ')}`);
  if (outputs.length !== 1 || outputs[0]?.name !== output)
    throw new Error(`expected one graph output named ${output}, found ${outputs.map((v) => v.name).join(', ')}`);
  return model;
}

/**
 * Grey pixels (uint8, the researcher's page fitted into [1, H, W]) → the three normalised channels the
 * detector was trained on (ImageNet mean and std, as PaddleOCR's NormalizeImage), then the DB probability
 * map max-pooled DET_POOL×DET_POOL: [1, 1, H/DET_POOL, W/DET_POOL] float32 in [0, 1].
 */
export function detectionSurgery(bytes: Uint8Array): Uint8Array {
  const model = decode(bytes, 'x', 'sigmoid_0.tmp_0');
  const g = model.graph as Onnx.GraphProto;
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const front: Onnx.INodeProto[] = [
    node('Cast', ['image'], ['image_f'], [int('to', DataType.FLOAT)]),
    node('Unsqueeze', ['image_f'], ['image_1'], [ints('axes', [1])]),
    node('Concat', ['image_1', 'image_1', 'image_1'], ['image_3'], [int('axis', 1)]),
    node('Mul', ['image_3', 'bricolage_scale'], ['image_scaled']),
    node('Sub', ['image_scaled', 'bricolage_shift'], ['x']),
  ];
  const back: Onnx.INodeProto[] = [
    node(
      'MaxPool',
      ['sigmoid_0.tmp_0'],
      ['prob'],
      [ints('kernel_shape', [DET_POOL, DET_POOL]), ints('strides', [DET_POOL, DET_POOL])],
    ),
  ];
  g.initializer.push(
    floatTensor(
      'bricolage_scale',
      [1, 3, 1, 1],
      std.map((s) => 1 / (255 * s)),
    ),
    floatTensor(
      'bricolage_shift',
      [1, 3, 1, 1],
      mean.map((m, i) => m / (std[i] as number)),
    ),
  );
  g.node = [...front, ...g.node, ...back] as Onnx.NodeProto[];
  g.input = [tensorInfo('image', DataType.UINT8, [1, 'height', 'width'])] as Onnx.ValueInfoProto[];
  g.output = [tensorInfo('prob', DataType.FLOAT, [1, 1, 'pooled_height', 'pooled_width'])] as Onnx.ValueInfoProto[];
  return new Uint8Array(onnx.ModelProto.encode(model).finish());
}

/**
 * Grey line images (uint8 [N, 48, W], the text on the left, padded right with white) → the recogniser's
 * input (x / 127.5 − 1 on three equal channels, PaddleOCR's normalisation), and its per-step softmax over
 * 6,625 classes → ArgMax → int32 [N, W/8]: one class index per CTC step. A replica returns 4 bytes a step
 * instead of 26,500 bytes of probabilities, and integers compare exactly.
 */
export function recognitionSurgery(bytes: Uint8Array): Uint8Array {
  const model = decode(bytes, 'x', 'softmax_11.tmp_0');
  const g = model.graph as Onnx.GraphProto;
  const front: Onnx.INodeProto[] = [
    node('Cast', ['image'], ['image_f'], [int('to', DataType.FLOAT)]),
    node('Unsqueeze', ['image_f'], ['image_1'], [ints('axes', [1])]),
    node('Concat', ['image_1', 'image_1', 'image_1'], ['image_3'], [int('axis', 1)]),
    node('Mul', ['image_3', 'bricolage_scale'], ['image_scaled']),
    node('Sub', ['image_scaled', 'bricolage_one'], ['x']),
  ];
  const back: Onnx.INodeProto[] = [
    node('ArgMax', ['softmax_11.tmp_0'], ['classes_i64'], [int('axis', 2), int('keepdims', 0)]),
    node('Cast', ['classes_i64'], ['classes'], [int('to', DataType.INT32)]),
  ];
  g.initializer.push(floatTensor('bricolage_scale', [], [1 / 127.5]), floatTensor('bricolage_one', [], [1]));
  g.node = [...front, ...g.node, ...back] as Onnx.NodeProto[];
  g.input = [tensorInfo('image', DataType.UINT8, ['lines', REC_HEIGHT, 'width'])] as Onnx.ValueInfoProto[];
  g.output = [tensorInfo('classes', DataType.INT32, ['lines', 'steps'])] as Onnx.ValueInfoProto[];
  return new Uint8Array(onnx.ModelProto.encode(model).finish());
}
