// primes: the CPU reference against known prime counts, the wasm twin against the reference, and
// the job the workload submits.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CreateJobRequest, ioSizes, sha256Hex } from '@bricolage/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildJob, readPrimesWgsl } from '../kernel-files';
import { compileAbi, runAbi } from '../wasm-abi/host';
import { readWasm } from '../wasm-abi/node';
import {
  basePrimes,
  decodeParams,
  decodePrimeCount,
  encodeBasePrimes,
  encodeParams,
  GROUP_SPAN,
  MAX_LIMIT,
  PARAMS_BYTES,
  PRIMES_REFUSED,
} from './layout';
import { countPrimes, primesReference } from './reference';
import { primes } from './workload';

interface Cases {
  pi: { limit: number; count: number }[];
  segments: { name: string; a: number; b: number; count: number }[];
}
const cases: Cases = JSON.parse(
  readFileSync(new URL('./cases.jsonc', import.meta.url), 'utf8').replace(/^\s*\/\/.*$/gm, ''),
);

/** The largest π(10^k) of the cases: ≈ 5 s of reference, ≈ 2 s of wasm on 2 cores. */
const FULL_LIMIT = 1e9;

/** The input for [a, b) with just enough workgroups to cover [a & ~1, b), using basePrimes(b). */
const caseInput = (a: number, b: number): Uint8Array =>
  encodeParams({ a, b, groups: Math.max(1, Math.ceil((b - (a - (a % 2))) / GROUP_SPAN)) }, basePrimes(b).length);

/** The job's one constant, base_primes, for a job (or case) that sieves below `limit`. */
const constants = (limit: number): Uint8Array[] => [encodeBasePrimes(basePrimes(limit))];

let wasm: WebAssembly.Module;
beforeAll(() => {
  execFileSync(process.execPath, [new URL('../../scripts/build-wasm.mjs', import.meta.url).pathname]);
  wasm = compileAbi(readWasm('primes'), { entry: 'run', constants: 1 });
});

describe('primes reference', () => {
  it.each(cases.segments)('counts the primes in $name', ({ a, b, count }) => {
    expect(countPrimes(a, b)).toBe(count);
    expect(decodePrimeCount(primesReference(caseInput(a, b)))).toBe(count);
  });

  it('gives π(10^9) = 50847534 summed over the segments of a job', () => {
    let total = 0;
    for (let a = 0; a < FULL_LIMIT; a += 2 ** 24) total += countPrimes(a, Math.min(a + 2 ** 24, FULL_LIMIT));
    expect(total).toBe(50847534);
  });
});

describe('primes wasm twin', () => {
  it('imports nothing and exports the ABI, with const_ptr for its constant', () => {
    expect(WebAssembly.Module.imports(wasm)).toHaveLength(0);
    expect(
      WebAssembly.Module.exports(wasm)
        .map((e) => e.name)
        .sort(),
    ).toEqual(['const_ptr', 'input_ptr', 'memory', 'output_ptr', 'run']);
  });

  it.each(cases.segments)('returns the reference bytes for $name', ({ a, b, count }) => {
    const input = caseInput(a, b);
    const output = runAbi(wasm, input, constants(b));
    expect(output).toEqual(primesReference(input));
    expect(decodePrimeCount(output)).toBe(count);
  });

  it.each(cases.pi)('sums to π($limit) = $count over the work units of a job', ({ limit, count }) => {
    const segment = limit > 1e7 ? 2 ** 24 : 2 ** 17;
    let total = 0;
    for (const wu of primes.workUnits({ limit, segment }))
      total += decodePrimeCount(runAbi(wasm, wu.input, constants(limit)));
    expect(total).toBe(count);
  });

  it.each([
    ['below 2^31', 0, 2 ** 31, 30],
    ['between 2^31 and 2^40', 2 ** 31, 2 ** 40, 20],
    ['between 2^40 and 2^48', 2 ** 40, 2 ** 48, 8],
  ])('matches the reference byte for byte on random segments %s', (_, lo, hi, segments) => {
    let seed = 0x5eed + lo;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    // One table for the band, as a job over [lo, hi) has: it reaches √b for every segment in it.
    const table = constants(hi);
    const nprimes = basePrimes(hi).length;
    for (let k = 0; k < segments; k++) {
      const groups = 1 + Math.floor(next() * 4);
      const a = lo + Math.floor(next() * (hi - lo - groups * GROUP_SPAN));
      // Mostly whole or nearly whole segments, sometimes tiny ones.
      const length = next() < 0.2 ? Math.floor(next() * 100) : Math.floor((0.5 + next() / 2) * groups * GROUP_SPAN);
      const limit = Math.min(a + length, hi);
      const input = encodeParams({ a, b: limit, groups }, nprimes);
      expect(runAbi(wasm, input, table), `[${a}, ${limit})`).toEqual(primesReference(input));
    }
  });

  it('reports malformed input as a negative code', () => {
    const good = caseInput(0, 1000);
    const badPrimes = good.slice();
    new DataView(badPrimes.buffer).setUint32(16, 2_000_000, true);
    const badGroups = good.slice();
    new DataView(badGroups.buffer).setUint32(20, 0, true);
    const k = constants(1000);
    expect(() => runAbi(wasm, good.subarray(0, 16), k)).toThrow(/error -1/);
    expect(() => runAbi(wasm, new Uint8Array(PARAMS_BYTES + 4), k)).toThrow(/error -1/);
    expect(() => runAbi(wasm, badPrimes, k)).toThrow(/error -2/);
    expect(() => runAbi(wasm, badGroups, k)).toThrow(/error -3/);
  });

  it('refuses (-4), never counts, a range it cannot count exactly', () => {
    // Params written by hand: the encoder refuses every one of these.
    const raw = (a: bigint, b: bigint, nprimes: number, groups: number) => {
      const bytes = new Uint8Array(PARAMS_BYTES);
      const view = new DataView(bytes.buffer);
      view.setBigUint64(0, a, true);
      view.setBigUint64(8, b, true);
      view.setUint32(16, nprimes, true);
      view.setUint32(20, groups, true);
      return bytes;
    };
    const top = BigInt(MAX_LIMIT);
    const k = constants(MAX_LIMIT);
    const n = basePrimes(MAX_LIMIT).length;
    expect(decodePrimeCount(runAbi(wasm, raw(top - 100n, top, n, 1), k))).toBe(4);
    // Past 2^48: b one beyond, and the range the issue found counted wrong, shifted past 2^64's reach.
    expect(() => runAbi(wasm, raw(top - 100n, top + 1n, n, 1), k)).toThrow(/error -4/);
    expect(() => runAbi(wasm, raw(2n ** 63n, 2n ** 63n + 1000n, n, 1), k)).toThrow(/error -4/);
    // Too few workgroups for the range: counting only the first would quietly undercount.
    expect(() => runAbi(wasm, raw(0n, BigInt(3 * GROUP_SPAN), 10, 2), constants(3 * GROUP_SPAN))).toThrow(/error -4/);
    // Base primes that do not reach √b: the job's table is for 10^6, the segment lies at 10^12.
    expect(() => runAbi(wasm, raw(10n ** 12n, 10n ** 12n + 1000n, 168, 1), constants(10 ** 6))).toThrow(/error -4/);
  });

  it('reads its base primes from the constant, not from the input', () => {
    // Without the constant the table reads as zeros, which reach no √b: the twin refuses rather than count.
    const input = caseInput(0, 1000);
    expect(decodePrimeCount(runAbi(wasm, input, constants(1000)))).toBe(168);
    expect(() => runAbi(wasm, input)).toThrow(/error -4/);
  });
});

describe('primes workload', () => {
  const params = { limit: 10_000_000, segment: 2 ** 22, knownAnswerEvery: 2 };

  it('submits a valid wgsl job whose sizes match its work units and whose hashes match its blobs', async () => {
    const { request, blobs } = await buildJob(primes, params);
    const job = CreateJobRequest.parse(request);
    expect(job.spec.kind).toBe('wgsl');
    if (job.spec.kind !== 'wgsl') return;
    expect(job.comparator).toEqual({ kind: 'exact' });
    expect(job.redundancy.minQuorum).toBe(2);
    expect(job.spec.dispatch).toEqual([32, 1, 1]);
    expect(job.spec.shader).toBe(await sha256Hex(new TextEncoder().encode(readPrimesWgsl())));
    expect(job.spec.wasm?.module).toBe(await sha256Hex(readWasm('primes')));
    const base = job.spec.bindings.find((b) => b.name === 'base_primes');
    expect(base).toMatchObject({ role: 'constant', type: 'read', size: basePrimes(params.limit).length * 4 });
    expect(await Promise.all(blobs.map((b) => sha256Hex(b)))).toEqual([
      job.spec.shader,
      job.spec.wasm?.module,
      base?.blob,
    ]);
    expect(blobs[2]).toEqual(constants(params.limit)[0]);
    const sizes = ioSizes(job.spec);
    for (const wu of primes.workUnits(params)) {
      expect(wu.input.length).toBe(sizes.input);
      expect(primes.reference(wu.input).length).toBe(sizes.output);
    }
  });

  it('needs its kernel files to build a job, and says where to get them', async () => {
    await expect(primes.job(params)).rejects.toThrow(/buildJob\(primes, params\) from @bricolage\/workloads\/node/);
  });

  it('covers [0, limit) once, the known-answer units being segments of it that carry the reference', () => {
    // Draws 0.1, 0.9, 0.3 against one in 2: the first and the last segments are drawn.
    const draws = [0.1, 0.9, 0.3];
    const wus = [...primes.workUnits({ ...params, random: () => draws.shift() as number })];
    expect(wus.map((wu) => wu.tag)).toEqual([
      'primes:[0,4194304)',
      'primes:[4194304,8388608)',
      'primes:[8388608,10000000)',
    ]);
    expect(wus.map((wu) => wu.expected !== undefined)).toEqual([true, false, true]);
    // No known-answer unit is a copy of another unit: its input is its own.
    expect(new Set(wus.map((wu) => wu.input.join())).size).toBe(wus.length);
    for (const wu of wus.filter((w) => w.expected))
      expect(wu.expected).toEqual(runAbi(wasm, wu.input, constants(params.limit)));
    const total = wus.reduce((n, wu) => n + decodePrimeCount(primes.reference(wu.input)), 0);
    expect(total).toBe(664579);
  });

  it.each([1_000_000, 999_999, 131_071])('sums to π(10^7) with segments of %i integers', (segment) => {
    let total = 0;
    for (const wu of primes.workUnits({ limit: 10_000_000, segment }))
      total += decodePrimeCount(runAbi(wasm, wu.input, constants(10_000_000)));
    expect(total).toBe(664579);
  });

  it('rejects parameters the kernel cannot cover', () => {
    expect(() => [...primes.workUnits({ limit: 100, segment: 0 })]).toThrow(RangeError);
    expect(() => [...primes.workUnits({ limit: 100, segment: 2 ** 26 + 1 })]).toThrow(RangeError);
    expect(() => [...primes.workUnits({ limit: 2 ** 48 + 1, segment: 2 ** 20 })]).toThrow(/2\^48/);
    expect(() => [...primes.workUnits({ limit: 100, from: 100, segment: 10 })]).toThrow(RangeError);
    // An odd start needs one integer more than the segment: a whole 2^26 no longer fits 512 workgroups.
    expect(() => [...primes.workUnits({ limit: 2 ** 30, from: 1, segment: 2 ** 26 })]).toThrow(/513 workgroups/);
  });

  it('encodes a range past 2^32 exactly, and refuses one it cannot encode instead of wrapping it', () => {
    const a = 2 ** 32 - 1e6 - 1;
    expect(decodeParams(encodeParams({ a, b: a + 2 ** 26 - 1, groups: 512 }, 7))).toEqual({
      a,
      b: a + 2 ** 26 - 1,
      nprimes: 7,
      groups: 512,
    });
    expect(() => encodeParams({ a: 0, b: 2 ** 48 + 2, groups: 1 }, 1)).toThrow(/not an integer in \[0, 2\^48\]/);
    expect(() => encodeParams({ a: 2 ** 53, b: 2 ** 53 + 2, groups: 1 }, 1)).toThrow(RangeError);
    expect(() => encodeParams({ a: 10, b: 5, groups: 1 }, 1)).toThrow(/past b/);
    expect(() => encodeParams({ a: 0, b: GROUP_SPAN + 1, groups: 1 }, 1)).toThrow(/needs 2 workgroups, not 1/);
  });

  it('declares its limits to the coordinator: inputChecks on a, b, nprimes and groups, and its refusal word', async () => {
    const { request } = await buildJob(primes, { limit: 2 ** 40, from: 2 ** 32, segment: 2 ** 20 });
    if (request.spec.kind !== 'wgsl') throw new Error('primes is a wgsl job');
    expect(request.spec.errorWord).toBe(PRIMES_REFUSED);
    const n = String(basePrimes(2 ** 40).length);
    expect(request.spec.inputChecks).toEqual([
      { name: 'a', offset: 0, type: 'u64', max: String(2 ** 40) },
      { name: 'b', offset: 8, type: 'u64', max: String(2 ** 40) },
      { name: 'nprimes', offset: 16, type: 'u32', min: n, max: n },
      { name: 'groups', offset: 20, type: 'u32', min: '8', max: '8' },
    ]);
    for (const wu of primes.workUnits({ limit: 2 ** 32 + 2 ** 21, from: 2 ** 32, segment: 2 ** 20 }))
      expect(decodeParams(wu.input).b).toBeGreaterThan(2 ** 32);
  });
});
