import type { BlobHash, JobSpec } from '@bricolage/protocol';
import { sha256Hex } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { abiModule } from '../../testing/abi-modules';
import { ExecutorError } from '../executor';
import { WasmExecutor } from './wasm-executor';

async function prepared(module: Uint8Array, size = 8, constant?: Uint8Array) {
  const hash = (await sha256Hex(module)) as BlobHash;
  const constantHash = constant ? ((await sha256Hex(constant)) as BlobHash) : undefined;
  const spec: JobSpec = {
    kind: 'wgsl',
    shader: '0'.repeat(64) as BlobHash,
    entryPoint: 'main',
    bindings: [
      { binding: 0, name: 'x', type: 'read', role: 'input', size },
      { binding: 1, name: 'y', type: 'read_write', role: 'output', size },
      ...(constant
        ? [
            {
              binding: 2,
              name: 'k',
              type: 'read' as const,
              role: 'constant' as const,
              size: constant.length,
              blob: constantHash,
            },
          ]
        : []),
    ],
    dispatch: [1, 1, 1],
    wasm: { module: hash, export: 'run' },
    forbidNaN: false,
  };
  const executor = new WasmExecutor();
  const assets = new Map([[hash as string, module]]);
  if (constant && constantHash) assets.set(constantHash, constant);
  await executor.prepare('job', spec, assets);
  return executor;
}

const codeOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return error instanceof ExecutorError ? error.code : `unexpected ${String(error)}`;
  }
};

describe('wasm executor', () => {
  it('runs the ABI: input at input_ptr, run(len), output_len bytes at output_ptr', async () => {
    const executor = await prepared(abiModule('copy'));
    const input = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...(await executor.run('job', input))]).toEqual([...input]);
  });

  it('refuses a module with imports before running anything', async () => {
    await expect(prepared(abiModule('copy', { importMemory: true }))).rejects.toThrow(
      /no imports; it imports env.memory/,
    );
  });

  it('reports a negative return and a trap as runtime errors', async () => {
    expect(await codeOf((await prepared(abiModule('negative'))).run('job', new Uint8Array(8)))).toBe('runtime_error');
    expect(await codeOf((await prepared(abiModule('trap'))).run('job', new Uint8Array(8)))).toBe('runtime_error');
  });

  it('refuses bytes that are not WebAssembly', async () => {
    expect(await codeOf(prepared(new Uint8Array([0, 1, 2, 3])))).toBe('compile_failed');
  });

  it('writes each constant at const_ptr(i) of every fresh instance, before the input', async () => {
    // output_ptr() = const_ptr(0): the output is what the host wrote there.
    const constant = Uint8Array.from([11, 12, 13, 14, 15, 16, 17, 18]);
    const executor = await prepared(abiModule('copy', { constPtr: 1024, outputPtr: 1024 }), 8, constant);
    for (let i = 0; i < 2; i++) expect([...(await executor.run('job', new Uint8Array(8)))]).toEqual([...constant]);
  });

  it('refuses a module without const_ptr for a job with constants', async () => {
    await expect(prepared(abiModule('copy'), 8, new Uint8Array(8))).rejects.toThrow(
      /must export function const_ptr \(the job has 1 constant binding\)/,
    );
  });

  it('starts every work unit from a fresh instance', async () => {
    const executor = await prepared(abiModule('copy'));
    await executor.run('job', new Uint8Array(8).fill(9));
    expect([...(await executor.run('job', new Uint8Array(4).fill(1)))]).toEqual([1, 1, 1, 1]);
  });
});
