// A job's compute spec: what each volunteer runs (a WGSL kernel with its wasm twin, or an ONNX model), the
// backend classes results come from, and what the spec implies: its blobs, its input and output sizes, and the
// checks a work unit's input must pass before it is accepted.
import { z } from 'zod';
import { BlobHash } from './ids';

/** The execution backend a result came from; homogeneous redundancy forms quorums within one class. */
export const BACKEND_CLASSES = ['webgpu', 'wasm', 'onnx-wasm', 'onnx-webgpu'] as const;
export const BackendClass = z.enum(BACKEND_CLASSES).meta({ id: 'BackendClass' });
export type BackendClass = z.infer<typeof BackendClass>;

const Bytes = z
  .number()
  .int()
  .positive()
  .max(1 << 30);

/**
 * One WGSL binding (group 0). Input bindings are filled, in binding order, from the work unit's input
 * bytes; constant bindings from a blob shared by every work unit of the job, fetched once per job.
 */
export const WgslBinding = z
  .object({
    binding: z.number().int().min(0).max(15),
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/),
    /** `uniform` and `read` are inputs or constants; `read_write` with role `output` is read back. */
    type: z.enum(['uniform', 'read', 'read_write']),
    role: z.enum(['input', 'output', 'scratch', 'constant']),
    size: Bytes,
    /** Role `constant` only: the blob holding the binding's bytes, exactly `size` of them. */
    blob: BlobHash.optional(),
  })
  .meta({ id: 'WgslBinding' });
export type WgslBinding = z.infer<typeof WgslBinding>;

/** A WebAssembly module with no imports implementing the same function (see docs/WASM_ABI.md). */
export const WasmImplementation = z
  .object({ module: BlobHash, export: z.string().min(1).max(64).default('run') })
  .meta({ id: 'WasmImplementation' });
export type WasmImplementation = z.infer<typeof WasmImplementation>;

const DECIMAL = /^(0|[1-9][0-9]{0,19})$/;
/** A decimal string as a bigint; null for anything else (zod runs refinements even after a field failed). */
const decimal = (v: unknown): bigint | null => (typeof v === 'string' && DECIMAL.test(v) ? BigInt(v) : null);

/** An unsigned integer below 2^64, in decimal (JSON numbers stop being exact at 2^53). */
const DecimalU64 = z
  .string()
  .regex(DECIMAL, 'expected a decimal integer')
  .refine((v) => (decimal(v) ?? 0n) < 2n ** 64n, 'expected an integer below 2^64');

/**
 * A bound on one little-endian unsigned field of every work unit's input: the coordinator refuses, at
 * upload, a line whose field lies outside [min, max] (see inputCheckProblem). A kernel that can compute
 * exactly only up to some limit declares it here, so that a work unit beyond it never reaches a volunteer.
 */
export const InputCheck = z
  .object({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/),
    /** Byte offset of the field in the work unit's input. */
    offset: z
      .number()
      .int()
      .min(0)
      .max(1 << 30),
    type: z.enum(['u32', 'u64']),
    min: DecimalU64.optional(),
    max: DecimalU64.optional(),
  })
  .meta({ id: 'InputCheck' });
export type InputCheck = z.infer<typeof InputCheck>;

const Dims3 = z.tuple([
  z.number().int().min(1).max(65535),
  z.number().int().min(1).max(65535),
  z.number().int().min(1).max(65535),
]);

export const WgslSpec = z
  .object({
    kind: z.literal('wgsl'),
    shader: BlobHash,
    entryPoint: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/),
    bindings: z.array(WgslBinding).min(1).max(16),
    dispatch: Dims3,
    wasm: WasmImplementation.optional(),
    /** Reject outputs containing NaN when the output is read as f32. */
    forbidNaN: z.boolean().default(false),
    /**
     * A kernel refuses an input it cannot compute exactly by writing this value as the first u32 of its
     * output: the volunteer then reports an error result, never the bytes.
     */
    errorWord: z.number().int().min(0).max(0xffffffff).optional(),
    /** Bounds on fields of each work unit's input, checked by the coordinator at upload. */
    inputChecks: z.array(InputCheck).max(16).optional(),
  })
  .superRefine((spec, ctx) => {
    const inputBytes = spec.bindings.filter((b) => b.role === 'input').reduce((n, b) => n + b.size, 0);
    for (const check of spec.inputChecks ?? []) {
      if (check.offset + (check.type === 'u64' ? 8 : 4) > inputBytes)
        ctx.addIssue({ code: 'custom', message: `input check ${check.name} lies past the ${inputBytes}-byte input` });
      const top = check.type === 'u32' ? 2n ** 32n : 2n ** 64n;
      const [min, max] = [decimal(check.min), decimal(check.max)];
      for (const bound of [min, max])
        if (bound !== null && bound >= top)
          ctx.addIssue({ code: 'custom', message: `input check ${check.name}: ${bound} does not fit a ${check.type}` });
      if (min !== null && max !== null && min > max)
        ctx.addIssue({ code: 'custom', message: `input check ${check.name}: min is above max` });
    }
    const seen = new Set<number>();
    for (const b of spec.bindings) {
      if (seen.has(b.binding)) ctx.addIssue({ code: 'custom', message: `binding ${b.binding} declared twice` });
      seen.add(b.binding);
      if (b.role === 'output' && b.type !== 'read_write')
        ctx.addIssue({ code: 'custom', message: `output binding ${b.name} must be read_write` });
      if ((b.role === 'input' || b.role === 'constant') && b.type === 'read_write')
        ctx.addIssue({ code: 'custom', message: `${b.role} binding ${b.name} must be uniform or read` });
      if (b.role === 'constant' && b.blob === undefined)
        ctx.addIssue({ code: 'custom', message: `constant binding ${b.name} needs a blob (the SHA-256 of its bytes)` });
      if (b.role !== 'constant' && b.blob !== undefined)
        ctx.addIssue({ code: 'custom', message: `only a constant binding has a blob; ${b.name} is ${b.role}` });
    }
    if (!spec.bindings.some((b) => b.role === 'output'))
      ctx.addIssue({ code: 'custom', message: 'a wgsl job needs at least one output binding' });
  })
  .meta({ id: 'WgslSpec' });
export type WgslSpec = z.infer<typeof WgslSpec>;

export const TensorDType = z.enum(['float32', 'int32', 'uint8', 'int8']).meta({ id: 'TensorDType' });
export type TensorDType = z.infer<typeof TensorDType>;
/** Bytes per element of each tensor type. */
export const TENSOR_DTYPE_BYTES: Record<TensorDType, number> = { float32: 4, int32: 4, uint8: 1, int8: 1 };
export const TensorSpec = z
  .object({
    name: z.string().min(1).max(128),
    dtype: TensorDType,
    shape: z
      .array(
        z
          .number()
          .int()
          .positive()
          .max(1 << 24),
      )
      .min(0)
      .max(8),
  })
  // Each dimension is bounded, their product was not: a shape of 2^24 eight times is 10^58 bytes, a job every
  // unit of which is refused. A tensor is held whole in a volunteer's memory: at most a WGSL binding's bytes.
  .refine((t) => t.shape.reduce((n, d) => n * d, 1) * TENSOR_DTYPE_BYTES[t.dtype] <= 1 << 30, {
    message: 'the tensor is more than 1 GiB (its shape times its element size)',
  })
  .meta({ id: 'TensorSpec' });
export type TensorSpec = z.infer<typeof TensorSpec>;

export const OnnxSpec = z
  .object({
    kind: z.literal('onnx'),
    model: BlobHash,
    inputs: z.array(TensorSpec).min(1).max(16),
    outputs: z.array(TensorSpec).min(1).max(16),
    forbidNaN: z.boolean().default(false),
    /**
     * onnxruntime's graph optimisations applied when a volunteer loads the model (its `graphOptimizationLevel`);
     * absent: 'all'. They cost time once per page, before the first unit; a model already in its final form
     * (fused when exported) gains nothing from them, and 'disabled' lets its first unit start sooner. Every
     * volunteer applies the job's own level, so results compare as they would under any other.
     */
    graphOptimization: z.enum(['disabled', 'basic', 'extended', 'all']).optional(),
    /**
     * The first dimension of every input and output counts samples that the model computes each apart from the
     * others (no op mixes them), and the model accepts any size there (a symbolic first dimension): a volunteer
     * may then stack several units' tensors along it and compute them in one run, which for short units costs
     * a fraction of one run each. Stacking may change the order of a sum, so it needs a `float` comparator.
     */
    stackable: z.boolean().optional(),
  })
  .meta({ id: 'OnnxSpec' });
export type OnnxSpec = z.infer<typeof OnnxSpec>;

export const JobSpec = z.discriminatedUnion('kind', [WgslSpec, OnnxSpec]).meta({ id: 'JobSpec' });
export type JobSpec = z.infer<typeof JobSpec>;

/** A WGSL job's constant bindings in binding-number order: the order of `const_ptr(i)` in docs/WASM_ABI.md. */
export const constantBindings = (spec: WgslSpec): WgslBinding[] =>
  spec.bindings.filter((b) => b.role === 'constant').sort((a, b) => a.binding - b.binding);

/** The blobs a job refers to: its kernel, wasm twin and constants, or its model. */
export function jobBlobs(spec: JobSpec): BlobHash[] {
  if (spec.kind === 'onnx') return [spec.model];
  return [
    spec.shader,
    ...(spec.wasm ? [spec.wasm.module] : []),
    ...constantBindings(spec).map((b) => b.blob as BlobHash),
  ];
}

/** Byte sizes of a job's inputs and outputs, derived from its spec: the work-unit ABI (constants are neither). */
export function ioSizes(spec: JobSpec): { input: number; output: number } {
  switch (spec.kind) {
    case 'wgsl': {
      const ordered = [...spec.bindings].sort((a, b) => a.binding - b.binding);
      const sum = (role: WgslBinding['role']) => ordered.filter((b) => b.role === role).reduce((n, b) => n + b.size, 0);
      return { input: sum('input'), output: sum('output') };
    }
    case 'onnx': {
      const size = (t: TensorSpec) => t.shape.reduce((n, d) => n * d, 1) * TENSOR_DTYPE_BYTES[t.dtype];
      return {
        input: spec.inputs.reduce((n, t) => n + size(t), 0),
        output: spec.outputs.reduce((n, t) => n + size(t), 0),
      };
    }
  }
}

/** Why a work unit's input fails one of the job's input checks, or null when it passes them all (or has none). */
export function inputCheckProblem(spec: JobSpec, input: Uint8Array): string | null {
  if (spec.kind !== 'wgsl') return null;
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  for (const check of spec.inputChecks ?? []) {
    const width = check.type === 'u64' ? 8 : 4;
    if (check.offset + width > input.length) return `input check ${check.name}: the input is too short`;
    const value =
      check.type === 'u64' ? view.getBigUint64(check.offset, true) : BigInt(view.getUint32(check.offset, true));
    if (check.min !== undefined && value < BigInt(check.min))
      return `${check.name} = ${value} is below the job's minimum ${check.min}`;
    if (check.max !== undefined && value > BigInt(check.max))
      return `${check.name} = ${value} is above the job's maximum ${check.max}`;
  }
  return null;
}
