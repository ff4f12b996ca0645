// The work-unit ABI seen from the runtime: how a WU's input bytes split into bindings or tensors,
// how outputs join back into the result bytes, and the self-checks a result must pass before submit.
import type { JobSpec, OnnxSpec, TensorDType, TensorSpec, WgslBinding, WgslSpec } from '@bricolage/protocol';
import { ioSizes, TENSOR_DTYPE_BYTES } from '@bricolage/protocol';

export interface Slice {
  readonly binding: WgslBinding;
  readonly bytes: Uint8Array;
}

const byBinding = (a: WgslBinding, b: WgslBinding) => a.binding - b.binding;

/** Input bindings in binding-number order, each with its slice of the WU's input bytes. */
export function splitWgslInput(spec: WgslSpec, input: Uint8Array): Slice[] {
  const expected = ioSizes(spec).input;
  if (input.length !== expected) throw new AbiError(`input is ${input.length} bytes, the job declares ${expected}`);
  const slices: Slice[] = [];
  let offset = 0;
  for (const binding of [...spec.bindings].sort(byBinding)) {
    if (binding.role !== 'input') continue;
    slices.push({ binding, bytes: input.subarray(offset, offset + binding.size) });
    offset += binding.size;
  }
  return slices;
}

/** Output bindings in binding-number order with their byte offsets in the result. */
export function wgslOutputLayout(spec: WgslSpec): { binding: WgslBinding; offset: number }[] {
  const layout: { binding: WgslBinding; offset: number }[] = [];
  let offset = 0;
  for (const binding of [...spec.bindings].sort(byBinding)) {
    if (binding.role !== 'output') continue;
    layout.push({ binding, offset });
    offset += binding.size;
  }
  return layout;
}

export const tensorBytes = (t: TensorSpec): number => t.shape.reduce((n, d) => n * d, 1) * TENSOR_DTYPE_BYTES[t.dtype];

export type TypedTensorData = Float32Array | Int32Array | Uint8Array | Int8Array;

/** A typed view over `bytes` (copied when unaligned) for a tensor of this dtype. */
export function typedView(dtype: TensorDType, bytes: Uint8Array): TypedTensorData {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  switch (dtype) {
    case 'float32':
      return new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
    case 'int32':
      return new Int32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
    case 'uint8':
      return new Uint8Array(aligned.buffer, aligned.byteOffset, aligned.byteLength);
    case 'int8':
      return new Int8Array(aligned.buffer, aligned.byteOffset, aligned.byteLength);
  }
}

/** ONNX inputs in declared order, each with its slice of the WU's input bytes. */
export function splitOnnxInput(spec: OnnxSpec, input: Uint8Array): { tensor: TensorSpec; bytes: Uint8Array }[] {
  const expected = ioSizes(spec).input;
  if (input.length !== expected) throw new AbiError(`input is ${input.length} bytes, the job declares ${expected}`);
  let offset = 0;
  return spec.inputs.map((tensor) => {
    const size = tensorBytes(tensor);
    const bytes = input.subarray(offset, offset + size);
    offset += size;
    return { tensor, bytes };
  });
}

/** Little-endian bytes of a typed array (every platform a browser runs on is little-endian). */
export const bytesOf = (data: ArrayBufferView): Uint8Array =>
  new Uint8Array(data.buffer, data.byteOffset, data.byteLength);

export type SelfCheck = { ok: true } | { ok: false; reason: string };

/**
 * The checks a result must pass before it may be submitted: declared size, no NaN where forbidden, and
 * not the kernel's refusal (the job's errorWord as its first u32).
 */
export function selfCheck(spec: JobSpec, output: Uint8Array): SelfCheck {
  const expected = ioSizes(spec).output;
  if (output.length !== expected)
    return { ok: false, reason: `output is ${output.length} bytes, the job declares ${expected}` };
  if (spec.kind === 'wgsl' && spec.errorWord !== undefined && output.length >= 4) {
    const first = new DataView(output.buffer, output.byteOffset, 4).getUint32(0, true);
    if (first === spec.errorWord)
      return {
        ok: false,
        reason: `the kernel refused its input (its output starts with the job's errorWord ${first})`,
      };
  }
  if (spec.forbidNaN && containsNaN(output)) return { ok: false, reason: 'output contains NaN' };
  return { ok: true };
}

export function containsNaN(bytes: Uint8Array): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i + 4 <= bytes.length; i += 4) if (Number.isNaN(view.getFloat32(i, true))) return true;
  return false;
}

/** Binding sizes rounded up to WebGPU's 4-byte copy granularity. */
export const paddedSize = (size: number): number => Math.ceil(size / 4) * 4;

export class AbiError extends Error {
  override readonly name = 'AbiError';
}
