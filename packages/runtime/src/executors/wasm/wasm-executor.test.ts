import type { BlobHash, JobSpec } from '@bricolage/protocol';
import { sha256Hex } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { abiModule } from '../../testing/abi-modules';
import { ExecutorError } from '../executor';
import { WasmExecutor } from './wasm-executor';

async function prepared(module: Uint8Array, size = 8) {
  const hash = (await sha256Hex(module)) as BlobHash;
  const spec: JobSpec = {
    kind: 'wgsl',
    shader: '0'.repeat(64) as BlobHash,
    entryPoint: 'main',
    bindings: [
      { binding: 0, name: 'x', type: 'read', role: 'input', size },
      { binding: 1, name: 'y', type: 'read_write', role: 'output', size },
    ],
    dispatch: [1, 1, 1],
    wasm: { module: hash, export: 'run' },
    forbidNaN: false,
  };
  const executor = new WasmExecutor();
  await executor.prepare('job', spec, new Map([[hash, module]]));
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

  it('starts every work unit from a fresh instance', async () => {
    const executor = await prepared(abiModule('copy'));
    await executor.run('job', new Uint8Array(8).fill(9));
    expect([...(await executor.run('job', new Uint8Array(4).fill(1)))]).toEqual([1, 1, 1, 1]);
  });
});
