// primes: the CPU reference against known prime counts, the wasm twin against the reference, and
// the job the workload submits.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CreateJobRequest, ioSizes, sha256Hex } from '@bricolage/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildJob, readPrimesWgsl } from '../kernel-files';
import { compileAbi, runAbi } from '../wasm-abi/host';
import { readWasm } from '../wasm-abi/node';
import { basePrimes, decodePrimeCount, encodeBasePrimes, encodeParams, GROUP_SPAN } from './layout';
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

  it('matches the reference byte for byte on 60 random segments', () => {
    let seed = 0x5eed;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let k = 0; k < 60; k++) {
      const groups = 1 + Math.floor(next() * 4);
      const a = Math.floor(next() * (2 ** 31 - groups * GROUP_SPAN));
      // Mostly whole or nearly whole segments, sometimes tiny ones.
      const length = next() < 0.2 ? Math.floor(next() * 100) : Math.floor((0.5 + next() / 2) * groups * GROUP_SPAN);
      const limit = Math.min(a + length, 2 ** 31);
      const input = encodeParams({ a, b: limit, groups }, basePrimes(limit).length);
      expect(runAbi(wasm, input, constants(limit)), `[${a}, ${limit})`).toEqual(primesReference(input));
    }
  });

  it('reports malformed input as a negative code', () => {
    const good = caseInput(0, 1000);
    const badPrimes = good.slice();
    new DataView(badPrimes.buffer).setUint32(8, 10_000, true);
    const k = constants(1000);
    expect(() => runAbi(wasm, good.subarray(0, 8), k)).toThrow(/error -1/);
    expect(() => runAbi(wasm, new Uint8Array(20), k)).toThrow(/error -1/);
    expect(() => runAbi(wasm, badPrimes, k)).toThrow(/error -2/);
    expect(() => runAbi(wasm, encodeParams({ a: 0, b: 10, groups: 0 }, 1), k)).toThrow(/error -3/);
  });

  it('reads its base primes from the constant, not from the input', () => {
    // Without the constant the twin sieves with no primes at all: every odd number counts as prime.
    const input = caseInput(0, 1000);
    expect(decodePrimeCount(runAbi(wasm, input, constants(1000)))).toBe(168);
    expect(decodePrimeCount(runAbi(wasm, input))).toBeGreaterThan(168);
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

  it('covers [0, limit) in tagged segments, with known-answer copies that carry the reference', () => {
    const wus = [...primes.workUnits(params)];
    const plain = wus.filter((wu) => !wu.expected);
    expect(plain.map((wu) => wu.tag)).toEqual([
      'primes:[0,4194304)',
      'primes:[4194304,8388608)',
      'primes:[8388608,10000000)',
    ]);
    const known = wus.filter((wu) => wu.expected);
    expect(known.map((wu) => wu.tag)).toEqual(['primes:[0,4194304):known', 'primes:[8388608,10000000):known']);
    for (const wu of known) expect(wu.expected).toEqual(runAbi(wasm, wu.input, constants(params.limit)));
    const total = plain.reduce((n, wu) => n + decodePrimeCount(primes.reference(wu.input)), 0);
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
    expect(() => [...primes.workUnits({ limit: 2 ** 32, segment: 2 ** 20 })]).toThrow(RangeError);
  });
});
