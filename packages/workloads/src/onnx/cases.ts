// Test support: reads cases.jsonc and turns each case into a one-node graph any evaluator can run.
import { readFileSync } from 'node:fs';
import type { Comparator } from '@bricolage/protocol';
import type { Attribute, Graph } from './graph';

interface CaseTensor {
  readonly dims: number[];
  readonly data: number[];
}

export interface OpCase {
  readonly name: string;
  readonly op: string;
  readonly attributes?: Record<string, { int: number } | { ints: number[] } | { float: number }>;
  readonly inputs: CaseTensor[];
  readonly expected: CaseTensor[];
  readonly rtol: number;
  readonly atol: number;
}

/** cases.jsonc allows only whole-line `//` comments, so dropping those lines leaves plain JSON. */
export function loadCases(): OpCase[] {
  const text = readFileSync(new URL('./cases.jsonc', import.meta.url), 'utf8');
  return JSON.parse(
    text
      .split('\n')
      .filter((line) => !line.trimStart().startsWith('//'))
      .join('\n'),
  ) as OpCase[];
}

function attribute(a: NonNullable<OpCase['attributes']>[string]): Attribute {
  if ('int' in a) return { type: 'int', value: a.int };
  if ('ints' in a) return { type: 'ints', value: a.ints };
  return { type: 'float', value: a.float };
}

export function caseGraph(c: OpCase): Graph {
  const inputs = c.inputs.map((t, i) => ({ name: `x${i}`, dtype: 'float32' as const, shape: t.dims }));
  const outputs = c.expected.map((t, i) => ({ name: `y${i}`, dtype: 'float32' as const, shape: t.dims }));
  return {
    name: 'case',
    inputs,
    outputs,
    initializers: [],
    nodes: [
      {
        op: c.op,
        inputs: inputs.map((t) => t.name),
        outputs: outputs.map((t) => t.name),
        attributes: Object.fromEntries(Object.entries(c.attributes ?? {}).map(([k, a]) => [k, attribute(a)])),
      },
    ],
  };
}

export const caseInputs = (c: OpCase): Float32Array[] => c.inputs.map((t) => Float32Array.from(t.data));
export const caseComparator = (c: OpCase): Comparator => ({ kind: 'float', rtol: c.rtol, atol: c.atol });
