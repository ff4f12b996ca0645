// One work unit as an NDJSON line, and the checks a line must pass before anything is sent, so that a bad
// line 900 of 1,000 is found before the first batch is committed rather than after.
import {
  fromBase64,
  inputCheckProblem,
  type JobSpec,
  toBase64,
  unknownFieldsProblem,
  WorkUnitLine,
} from '@bricolage/protocol';
import { jsonSyntaxError } from './json-error';

export interface WorkUnit {
  /** The concatenation of the job's inputs in declared order (docs/WASM_ABI.md). */
  readonly input: Uint8Array;
  readonly tag?: string;
  /** A known-answer unit's expected output. */
  readonly expected?: Uint8Array;
}

/** The NDJSON line (without its newline) for one work unit. */
export function workUnitLine(unit: WorkUnit): string {
  const line: WorkUnitLine = { input: toBase64(unit.input) };
  if (unit.tag !== undefined) line.tag = unit.tag;
  if (unit.expected !== undefined) line.expected = toBase64(unit.expected);
  return JSON.stringify(line);
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

/**
 * Bytes that canonical base64 (standard alphabet, padded, unused bits zero: what the coordinator accepts)
 * decodes to, or null when the text is not that. A character scan: a whole-string regex overflows V8's stack
 * on inputs of a few million characters.
 */
function decodedLength(text: string): number | null {
  if (text.length % 4 !== 0) return null;
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const end = text.length - pad;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || (VALUE[c] as number) < 0) return null;
  }
  // The last character before the padding carries bits past the data, which must be zero.
  if (pad > 0 && ((VALUE[text.charCodeAt(end - 1)] as number) & (pad === 2 ? 15 : 3)) !== 0) return null;
  return (text.length / 4) * 3 - pad;
}

/** Why a line cannot be a work unit; `column` (1-based) is where it stops being JSON, when that is why. */
export interface LineProblem {
  readonly message: string;
  readonly column?: number;
}

/**
 * Why one NDJSON line cannot be a work unit of a job with these input and output sizes, or of its spec's own
 * input checks (`spec`: the coordinator refuses those too, and a unit found out of bounds after some batches
 * were committed would leave half an upload); null when it can.
 */
export function workUnitProblem(
  text: string,
  sizes: { readonly input: number; readonly output: number },
  spec?: JobSpec,
): LineProblem | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const at = jsonSyntaxError(text, e);
    return { message: `not JSON (${at.reason})`, column: at.column };
  }
  const problem = unitProblem(json, sizes, spec);
  return problem === null ? null : { message: problem };
}

/** What keeps a parsed line from being a work unit of the job, or null. */
function unitProblem(
  json: unknown,
  sizes: { readonly input: number; readonly output: number },
  spec: JobSpec | undefined,
): string | null {
  const parsed = WorkUnitLine.safeParse(json);
  if (!parsed.success)
    return parsed.error.issues.map((i) => `${i.path.join('.') || '(line)'}: ${i.message}`).join('; ');
  const unknown = unknownFieldsProblem(json, parsed.data);
  if (unknown) return unknown;
  const input = decodedLength(parsed.data.input);
  if (input === null) return 'input is not base64';
  if (input !== sizes.input) return `input is ${input} bytes; the job's inputs total ${sizes.input}`;
  if (spec?.kind === 'wgsl' && spec.inputChecks?.length) {
    const outOfBounds = inputCheckProblem(spec, fromBase64(parsed.data.input));
    if (outOfBounds) return outOfBounds;
  }
  if (parsed.data.expected !== undefined) {
    const expected = decodedLength(parsed.data.expected);
    if (expected === null) return 'expected is not base64';
    if (expected !== sizes.output) return `expected is ${expected} bytes; the job's outputs total ${sizes.output}`;
  }
  return null;
}
