// The `primes` workload, the grid's demo project: count the primes below `limit` in segments,
// each work unit a segmented sieve of one segment on WebGPU (primes.wgsl) or WebAssembly.
import { sha256Hex, utf8 } from '@bricolage/protocol';
import { checkKnownAnswers, type KnownAnswerOptions, knownAnswerDraw } from '../known-answers';
import { type JobBundle, type KernelFiles, requireKernel, type WorkUnitInput, type Workload } from '../workload';
import {
  basePrimes,
  encodeBasePrimes,
  encodeParams,
  GROUP_SPAN,
  MAX_GROUPS,
  MAX_LIMIT,
  MAX_SEGMENT,
  PARAMS_BYTES,
  PRIMES_REFUSED,
} from './layout';
import { primesReference } from './reference';

/** Known-answer units (`knownAnswerEvery`): segments drawn at random, see known-answers.ts. */
export interface PrimesParams extends KnownAnswerOptions {
  /** Count the primes in [from, limit); limit at most 2^48. */
  readonly limit: number;
  /** First integer counted (default 0): a job may count a range high up, e.g. [2^40, 2^40 + 10^9). */
  readonly from?: number;
  /**
   * Integers per work unit, up to 2^26; multiples of 2^17 waste no workgroups. 2^24 takes ≈ 50 ms in
   * wasm on 2 cores, 2^22 ≈ 12 ms (near 0; higher up, more base primes make it slower).
   */
  readonly segment: number;
}

function check(params: PrimesParams): void {
  const { limit, segment, from = 0 } = params;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    throw new RangeError(`limit must be an integer in [1, 2^48], got ${limit}`);
  if (!Number.isSafeInteger(from) || from < 0 || from >= limit)
    throw new RangeError(`from must be an integer in [0, limit), got ${from}`);
  if (!Number.isInteger(segment) || segment < 1 || segment > MAX_SEGMENT)
    throw new RangeError(`segment must be an integer in [1, 2^26], got ${segment}`);
  if (groupsFor(params) > MAX_GROUPS)
    throw new RangeError(`an odd segment start needs ${groupsFor(params)} workgroups, more than ${MAX_GROUPS}`);
  checkKnownAnswers(params);
}

/**
 * Workgroups that cover any segment [a, a + segment) of the job: the kernel starts at a & ~1, one
 * integer early when a is odd, which happens when `from` or the segment length is odd.
 */
const groupsFor = ({ segment, from = 0 }: PrimesParams): number =>
  Math.ceil((segment + (from % 2 === 1 || segment % 2 === 1 ? 1 : 0)) / GROUP_SPAN);

export const primes: Workload<PrimesParams> = {
  name: 'primes',

  async job(params: PrimesParams, kernel?: KernelFiles): Promise<JobBundle> {
    check(params);
    const { wgsl, wasm } = requireKernel('primes', kernel);
    const shader = utf8(wgsl);
    const groups = groupsFor(params);
    // Shared by every work unit of the job: fetched once by each volunteer, not carried in each input.
    const base = encodeBasePrimes(basePrimes(params.limit));
    return {
      request: {
        name: params.from ? `Primes in [${params.from}, ${params.limit})` : `Primes below ${params.limit}`,
        description:
          `Counts the primes in [${params.from ?? 0}, ${params.limit}) with a segmented sieve, ${params.segment} integers per ` +
          'work unit. Output: one u32 count per workgroup; a segment’s count is their sum.',
        spec: {
          kind: 'wgsl',
          shader: await sha256Hex(shader),
          entryPoint: 'main',
          bindings: [
            { binding: 0, name: 'params', type: 'uniform', role: 'input', size: PARAMS_BYTES },
            {
              binding: 1,
              name: 'base_primes',
              type: 'read',
              role: 'constant',
              size: base.length,
              blob: await sha256Hex(base),
            },
            { binding: 2, name: 'counts', type: 'read_write', role: 'output', size: groups * 4 },
          ],
          dispatch: [groups, 1, 1],
          wasm: { module: await sha256Hex(wasm), export: 'run' },
          forbidNaN: false,
          // The kernel writes this in every count of an input it cannot count exactly.
          errorWord: PRIMES_REFUSED,
          // What the kernels count exactly, checked at upload: a segment within [0, limit), every work unit
          // with all of the job's base primes and its one dispatch size.
          inputChecks: [
            { name: 'a', offset: 0, type: 'u64', max: String(params.limit) },
            { name: 'b', offset: 8, type: 'u64', max: String(params.limit) },
            { name: 'nprimes', offset: 16, type: 'u32', min: String(base.length / 4), max: String(base.length / 4) },
            { name: 'groups', offset: 20, type: 'u32', min: String(groups), max: String(groups) },
          ],
        },
        comparator: { kind: 'exact' },
        redundancy: { minQuorum: 2, maxTotalResults: 6, maxErrorResults: 3, homogeneous: false },
        // One credit per 2^20 integers sieved: the work grows (slightly more than) linearly with the segment.
        costPerWorkUnit: params.segment / 2 ** 20,
      },
      blobs: [shader, wasm, base],
    };
  },

  *workUnits(params: PrimesParams): Iterable<WorkUnitInput> {
    check(params);
    const base = basePrimes(params.limit);
    const groups = groupsFor(params);
    const known = knownAnswerDraw(params);
    for (let a = params.from ?? 0; a < params.limit; a += params.segment) {
      const b = Math.min(a + params.segment, params.limit);
      const input = encodeParams({ a, b, groups }, base.length);
      const tag = `primes:[${a},${b})`;
      yield known() ? { input, tag, expected: primesReference(input) } : { input, tag };
    }
  },

  reference: primesReference,
};
