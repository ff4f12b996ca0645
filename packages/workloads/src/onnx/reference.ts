// The CPU reference for our ONNX models: a plain evaluator of exactly the ops they use, written from
// the ONNX operator spec and sharing no code with onnxruntime. Float64 throughout, f32 at the end.
import { type Attribute, checkGraph, elementCount, type Graph, type Node } from './graph';

interface Tensor {
  readonly dims: readonly number[];
  readonly data: Float64Array;
}

/** Reads a node's attributes, refusing any we do not implement rather than silently ignoring it. */
function attributes(node: Node, known: readonly string[]) {
  const all = node.attributes ?? {};
  for (const name of Object.keys(all)) {
    if (!known.includes(name)) throw new Error(`${node.op}: attribute ${name} is not supported by the reference`);
  }
  const get = <T extends Attribute['type']>(name: string, type: T) => {
    const a = all[name];
    if (a && a.type !== type) throw new Error(`${node.op}: attribute ${name} should be ${type}`);
    return a?.value as Extract<Attribute, { type: T }>['value'] | undefined;
  };
  return {
    int: (name: string, fallback: number) => get(name, 'int') ?? fallback,
    float: (name: string, fallback: number) => get(name, 'float') ?? fallback,
    ints: (name: string, fallback: readonly number[]) => get(name, 'ints') ?? fallback,
  };
}

const at = (a: readonly number[], i: number): number => {
  const v = a[i];
  if (v === undefined) throw new Error(`index ${i} out of range`);
  return v;
};

const strides = (dims: readonly number[]): number[] => {
  const out = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) out[i] = at(out, i + 1) * at(dims, i + 1);
  return out;
};

/** Elementwise binary op with ONNX (numpy) multidirectional broadcasting. */
function broadcast(a: Tensor, b: Tensor, f: (x: number, y: number) => number): Tensor {
  const rank = Math.max(a.dims.length, b.dims.length);
  const pad = (d: readonly number[]) => [...new Array<number>(rank - d.length).fill(1), ...d];
  const da = pad(a.dims);
  const db = pad(b.dims);
  const dims = da.map((x, i) => {
    const y = at(db, i);
    if (x !== y && x !== 1 && y !== 1) throw new Error(`cannot broadcast [${a.dims}] with [${b.dims}]`);
    return Math.max(x, y);
  });
  const sa = strides(da).map((s, i) => (at(da, i) === 1 ? 0 : s));
  const sb = strides(db).map((s, i) => (at(db, i) === 1 ? 0 : s));
  const data = new Float64Array(elementCount(dims));
  // An odometer over the output index keeps both input offsets without a division per element.
  const index = new Array<number>(rank).fill(0);
  const ad = a.data;
  const bd = b.data;
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < data.length; o++) {
    data[o] = f(ad[ia] as number, bd[ib] as number);
    for (let d = rank - 1; d >= 0; d--) {
      const i = at(index, d) + 1;
      ia += at(sa, d);
      ib += at(sb, d);
      if (i < at(dims, d)) {
        index[d] = i;
        break;
      }
      index[d] = 0;
      ia -= i * at(sa, d);
      ib -= i * at(sb, d);
    }
  }
  return { dims, data };
}

function conv(node: Node, x: Tensor, w: Tensor, b: Tensor | undefined): Tensor {
  const attr = attributes(node, ['kernel_shape', 'pads', 'strides', 'dilations', 'group']);
  if (attr.int('group', 1) !== 1) throw new Error('Conv: only group = 1 is supported');
  if (attr.ints('dilations', [1, 1]).some((d) => d !== 1)) throw new Error('Conv: only dilation 1 is supported');
  const [n, c, h, iw] = x.dims as [number, number, number, number];
  const [m, cw, kh, kw] = w.dims as [number, number, number, number];
  if (cw !== c) throw new Error(`Conv: weight has ${cw} input channels, input has ${c}`);
  const [pt, pl, pb, pr] = attr.ints('pads', [0, 0, 0, 0]) as [number, number, number, number];
  const [sh, sw] = attr.ints('strides', [1, 1]) as [number, number];
  const oh = Math.floor((h + pt + pb - kh) / sh) + 1;
  const ow = Math.floor((iw + pl + pr - kw) / sw) + 1;
  const out = new Float64Array(n * m * oh * ow);
  const xs = x.data;
  const ws = w.data;
  let o = 0;
  for (let in_ = 0; in_ < n; in_++)
    for (let im = 0; im < m; im++)
      for (let y = 0; y < oh; y++)
        for (let xo = 0; xo < ow; xo++) {
          let sum = b ? (b.data[im] as number) : 0;
          for (let ic = 0; ic < c; ic++)
            for (let ky = 0; ky < kh; ky++) {
              const iy = y * sh - pt + ky;
              if (iy < 0 || iy >= h) continue; // zero padding
              for (let kx = 0; kx < kw; kx++) {
                const ix = xo * sw - pl + kx;
                if (ix < 0 || ix >= iw) continue;
                sum +=
                  (xs[((in_ * c + ic) * h + iy) * iw + ix] as number) *
                  (ws[((im * c + ic) * kh + ky) * kw + kx] as number);
              }
            }
          out[o++] = sum;
        }
  return { dims: [n, m, oh, ow], data: out };
}

function maxPool(node: Node, x: Tensor): Tensor {
  const attr = attributes(node, ['kernel_shape', 'strides', 'pads']);
  const [n, c, h, w] = x.dims as [number, number, number, number];
  const [kh, kw] = attr.ints('kernel_shape', []) as [number, number];
  const [sh, sw] = attr.ints('strides', [1, 1]) as [number, number];
  const [pt, pl, pb, pr] = attr.ints('pads', [0, 0, 0, 0]) as [number, number, number, number];
  const oh = Math.floor((h + pt + pb - kh) / sh) + 1;
  const ow = Math.floor((w + pl + pr - kw) / sw) + 1;
  const out = new Float64Array(n * c * oh * ow);
  let o = 0;
  for (let plane = 0; plane < n * c; plane++)
    for (let y = 0; y < oh; y++)
      for (let xo = 0; xo < ow; xo++) {
        let best = Number.NEGATIVE_INFINITY; // padded cells never win a max
        for (let ky = 0; ky < kh; ky++)
          for (let kx = 0; kx < kw; kx++) {
            const iy = y * sh - pt + ky;
            const ix = xo * sw - pl + kx;
            if (iy >= 0 && iy < h && ix >= 0 && ix < w)
              best = Math.max(best, x.data[(plane * h + iy) * w + ix] as number);
          }
        out[o++] = best;
      }
  return { dims: [n, c, oh, ow], data: out };
}

function globalAveragePool(node: Node, x: Tensor): Tensor {
  attributes(node, []);
  const [n, c] = x.dims as [number, number];
  const size = elementCount(x.dims.slice(2));
  const out = new Float64Array(n * c);
  for (let p = 0; p < n * c; p++) {
    let sum = 0;
    for (let i = 0; i < size; i++) sum += x.data[p * size + i] as number;
    out[p] = sum / size;
  }
  return { dims: [n, c, ...x.dims.slice(2).map(() => 1)], data: out };
}

function flatten(node: Node, x: Tensor): Tensor {
  const attr = attributes(node, ['axis']);
  const axis = attr.int('axis', 1);
  const a = axis < 0 ? axis + x.dims.length : axis;
  return { dims: [elementCount(x.dims.slice(0, a)), elementCount(x.dims.slice(a))], data: x.data };
}

function gemm(node: Node, a: Tensor, b: Tensor, c: Tensor | undefined): Tensor {
  const attr = attributes(node, ['alpha', 'beta', 'transA', 'transB']);
  const alpha = attr.float('alpha', 1);
  const beta = attr.float('beta', 1);
  const ta = attr.int('transA', 0) === 1;
  const tb = attr.int('transB', 0) === 1;
  const [ar, ac] = a.dims as [number, number];
  const [br, bc] = b.dims as [number, number];
  const [m, k] = ta ? [ac, ar] : [ar, ac];
  const [kb, n] = tb ? [bc, br] : [br, bc];
  if (k !== kb) throw new Error(`Gemm: inner dimensions ${k} and ${kb} differ`);
  const ab = { dims: [m, n], data: new Float64Array(m * n) };
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) {
        const av = a.data[ta ? p * ac + i : i * ac + p] as number;
        sum += av * (b.data[tb ? j * bc + p : p * bc + j] as number);
      }
      ab.data[i * n + j] = alpha * sum;
    }
  return c ? broadcast(ab, c, (x, y) => x + beta * y) : ab;
}

function softmax(node: Node, x: Tensor): Tensor {
  const attr = attributes(node, ['axis']);
  const rank = x.dims.length;
  const raw = attr.int('axis', -1); // opset 13: along one axis, default the last
  const axis = raw < 0 ? raw + rank : raw;
  const len = at(x.dims, axis);
  const inner = elementCount(x.dims.slice(axis + 1));
  const outer = elementCount(x.dims.slice(0, axis));
  const out = new Float64Array(x.data.length);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const index = (j: number) => (o * len + j) * inner + i;
      let max = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < len; j++) max = Math.max(max, x.data[index(j)] as number);
      let sum = 0;
      for (let j = 0; j < len; j++) sum += Math.exp((x.data[index(j)] as number) - max);
      for (let j = 0; j < len; j++) out[index(j)] = Math.exp((x.data[index(j)] as number) - max) / sum;
    }
  return { dims: x.dims, data: out };
}

function run(node: Node, args: readonly (Tensor | undefined)[]): Tensor {
  const need = (i: number): Tensor => {
    const t = args[i];
    if (!t) throw new Error(`${node.op}: input ${i} missing`);
    return t;
  };
  switch (node.op) {
    case 'Conv':
      return conv(node, need(0), need(1), args[2]);
    case 'Relu':
      attributes(node, []);
      return { dims: need(0).dims, data: need(0).data.map((v) => Math.max(v, 0)) };
    case 'MaxPool':
      return maxPool(node, need(0));
    case 'GlobalAveragePool':
      return globalAveragePool(node, need(0));
    case 'Flatten':
      return flatten(node, need(0));
    case 'Gemm':
      return gemm(node, need(0), need(1), args[2]);
    case 'Softmax':
      return softmax(node, need(0));
    case 'Add':
      attributes(node, []);
      return broadcast(need(0), need(1), (x, y) => x + y);
    case 'Mul':
      attributes(node, []);
      return broadcast(need(0), need(1), (x, y) => x * y);
    default:
      throw new Error(`op ${node.op} is not supported by the reference`);
  }
}

/** Evaluates `graph` on float32 inputs given in declared order; returns the outputs in declared order. */
export function evaluateGraph(graph: Graph, inputs: readonly Float32Array[]): Float32Array[] {
  checkGraph(graph);
  if (inputs.length !== graph.inputs.length) throw new Error(`expected ${graph.inputs.length} inputs`);
  const values = new Map<string, Tensor>();
  graph.inputs.forEach((spec, i) => {
    const data = inputs[i] as Float32Array;
    if (data.length !== elementCount(spec.shape)) throw new Error(`input ${spec.name}: wrong length`);
    values.set(spec.name, { dims: spec.shape, data: Float64Array.from(data) });
  });
  for (const t of graph.initializers) values.set(t.name, { dims: t.dims, data: Float64Array.from(t.data) });
  for (const node of graph.nodes) {
    const [output, ...extra] = node.outputs;
    if (output === undefined || extra.length > 0) throw new Error(`${node.op}: exactly one output is supported`);
    values.set(
      output,
      run(
        node,
        node.inputs.map((name) => values.get(name)),
      ),
    );
  }
  return graph.outputs.map((spec) => {
    const t = values.get(spec.name) as Tensor;
    if (t.dims.join() !== spec.shape.join()) throw new Error(`output ${spec.name}: [${t.dims}] ≠ [${spec.shape}]`);
    return Float32Array.from(t.data);
  });
}
