// primes on WebGPU: the shader itself, run by the runtime's WgslExecutor on Dawn in Node (SwiftShader on
// a machine without a GPU), against the same cases as the reference and the wasm twin, past 2^32 too;
// and its refusal of what it cannot count exactly, which the runtime turns into an error result.
import { readFileSync } from 'node:fs';
import { sha256Hex, type WgslSpec } from '@bricolage/protocol';
import { GpuContext, installDawn, selfCheck, WgslExecutor } from '@bricolage/runtime/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildJob } from '../kernel-files';
import { basePrimes, decodePrimeCount, encodeBasePrimes, GROUP_SPAN, MAX_LIMIT, PARAMS_BYTES } from './layout';
import { primesReference } from './reference';
import { primes } from './workload';

interface Cases {
  segments: { name: string; a: number; b: number; count: number }[];
}
const cases: Cases = JSON.parse(
  readFileSync(new URL('./cases.jsonc', import.meta.url), 'utf8').replace(/^\s*\/\/.*$/gm, ''),
);

const raw = (a: bigint, b: bigint, nprimes: number, groups: number): Uint8Array => {
  const bytes = new Uint8Array(PARAMS_BYTES);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, a, true);
  view.setBigUint64(8, b, true);
  view.setUint32(16, nprimes, true);
  view.setUint32(20, groups, true);
  return bytes;
};

let spec: WgslSpec;
let shader: Uint8Array;
/** One device and one compiled pipeline for every case, as a volunteer's worker has. */
let gpu: WgslExecutor;
let jobs = 0;

/** The primes job's spec with the base primes for `limit` as its constant and `groups` workgroups. */
async function prepared(limit: number, groups: number): Promise<{ run: (input: Uint8Array) => Promise<Uint8Array> }> {
  const table = encodeBasePrimes(basePrimes(limit));
  const blob = await sha256Hex(table);
  const job: WgslSpec = {
    ...spec,
    dispatch: [groups, 1, 1],
    bindings: spec.bindings.map((b) =>
      b.name === 'base_primes'
        ? { ...b, size: table.length, blob: blob as WgslSpec['shader'] }
        : b.name === 'counts'
          ? { ...b, size: groups * 4 }
          : b,
    ),
  };
  const id = `primes-${++jobs}`;
  await gpu.prepare(
    id,
    job,
    new Map([
      [spec.shader as string, shader],
      [blob, table],
    ]),
  );
  return {
    run: async (input) => {
      const output = await gpu.run(id, input);
      const check = selfCheck(job, output);
      if (!check.ok) throw new Error(check.reason);
      return output;
    },
  };
}

beforeAll(async () => {
  await installDawn('swiftshader');
  gpu = new WgslExecutor(new GpuContext());
  const bundle = await buildJob(primes, { limit: 1000, segment: 1000 });
  if (bundle.request.spec.kind !== 'wgsl') throw new Error('primes is a wgsl job');
  spec = bundle.request.spec as WgslSpec;
  shader = bundle.blobs[0]!;
  expect(await sha256Hex(shader)).toBe(spec.shader);
});

describe('primes on WebGPU (Dawn)', () => {
  it.each(cases.segments.filter((c) => c.b - c.a <= 2 ** 20))(
    'returns the reference bytes for $name',
    async ({ a, b, count }) => {
      const groups = Math.max(1, Math.ceil((b - (a - (a % 2))) / GROUP_SPAN));
      const { run } = await prepared(b, groups);
      const input = raw(BigInt(a), BigInt(b), basePrimes(b).length, groups);
      const output = await run(input);
      expect(output).toEqual(primesReference(input));
      expect(decodePrimeCount(output)).toBe(count);
    },
  );

  it('refuses what it cannot count exactly, and the runtime reports that as an error, never a count', async () => {
    const { run } = await prepared(MAX_LIMIT, 2);
    const n = basePrimes(MAX_LIMIT).length;
    const top = BigInt(MAX_LIMIT);
    expect(decodePrimeCount(await run(raw(top - 100n, top, n, 2)))).toBe(4);
    // b past 2^48; too few workgroups for the range; groups not what was dispatched.
    await expect(run(raw(top - 100n, top + 1n, n, 2))).rejects.toThrow(/refused its input/);
    await expect(run(raw(0n, BigInt(3 * GROUP_SPAN), n, 2))).rejects.toThrow(/refused its input/);
    await expect(run(raw(0n, 1000n, n, 1))).rejects.toThrow(/refused its input/);
    // A table that does not reach √b: the job's primes are for 10^6, the segment lies at 10^12.
    const small = await prepared(10 ** 6, 1);
    await expect(small.run(raw(10n ** 12n, 10n ** 12n + 1000n, basePrimes(10 ** 6).length, 1))).rejects.toThrow(
      /refused its input/,
    );
  });
});
