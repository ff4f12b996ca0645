// The `primes` workload, the grid's demo project: count the primes below `limit` in segments,
// each work unit a segmented sieve of one segment on WebGPU (primes.wgsl) or WebAssembly.
import { sha256Hex, utf8 } from '@bricolage/protocol';
import { type JobBundle, type KernelFiles, requireKernel, type WorkUnitInput, type Workload } from '../workload';
import { basePrimes, encodeBasePrimes, encodeParams, GROUP_SPAN, MAX_LIMIT, MAX_SEGMENT, PARAMS_BYTES } from './layout';
import { primesReference } from './reference';

export interface PrimesParams {
  /** Count the primes in [0, limit); at most 2^31. */
  readonly limit: number;
  /**
   * Integers per work unit, up to 2^26; multiples of 2^17 waste no workgroups. 2^24 takes ≈ 50 ms in
   * wasm on 2 cores, 2^22 ≈ 12 ms.
   */
  readonly segment: number;
  /**
   * Every k-th segment is also issued a second time as a known-answer work unit (tag suffix
   * `:known`). Copies rather than replacements, because known-answer results are not part of the
   * job's results and every segment must be counted.
   */
  readonly knownAnswerEvery?: number;
}

function check(params: PrimesParams): void {
  const { limit, segment, knownAnswerEvery } = params;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    throw new RangeError(`limit must be an integer in [1, 2^31], got ${limit}`);
  if (!Number.isInteger(segment) || segment < 1 || segment > MAX_SEGMENT)
    throw new RangeError(`segment must be an integer in [1, 2^26], got ${segment}`);
  if (knownAnswerEvery !== undefined && (!Number.isInteger(knownAnswerEvery) || knownAnswerEvery < 1))
    throw new RangeError(`knownAnswerEvery must be a positive integer, got ${knownAnswerEvery}`);
}

/**
 * Workgroups that cover any segment [a, a + segment): the kernel starts at a & ~1, one integer early
 * when a is odd, which only happens for odd segment lengths.
 */
const groupsFor = (segment: number): number => Math.ceil((segment + (segment % 2)) / GROUP_SPAN);

export const primes: Workload<PrimesParams> = {
  name: 'primes',

  async job(params: PrimesParams, kernel?: KernelFiles): Promise<JobBundle> {
    check(params);
    const { wgsl, wasm } = requireKernel('primes', kernel);
    const shader = utf8(wgsl);
    const groups = groupsFor(params.segment);
    // Shared by every work unit of the job: fetched once by each volunteer, not carried in each input.
    const base = encodeBasePrimes(basePrimes(params.limit));
    return {
      request: {
        name: `Primes below ${params.limit}`,
        description:
          `Counts the primes in [0, ${params.limit}) with a segmented sieve, ${params.segment} integers per ` +
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
    const groups = groupsFor(params.segment);
    let index = 0;
    for (let a = 0; a < params.limit; a += params.segment, index++) {
      const b = Math.min(a + params.segment, params.limit);
      const input = encodeParams({ a, b, groups }, base.length);
      const tag = `primes:[${a},${b})`;
      yield { input, tag };
      if (params.knownAnswerEvery && index % params.knownAnswerEvery === 0)
        yield { input, tag: `${tag}:known`, expected: primesReference(input) };
    }
  },

  reference: primesReference,
};
