import { sha256Hex } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { OrtLoader } from './ort';
import { ORT_WASM_FILE, type OrtWasmSource, ortWasmBinary } from './ort-wasm';

const bytes = Uint8Array.from([0, 97, 115, 109, 1, 0, 0, 0]);

/** A source holding one file, recording what it was asked for. */
function holding(name: string, file: { hash: string; bytes: Uint8Array }, asked: string[] = []): OrtWasmSource {
  return async (wanted) => {
    asked.push(wanted);
    return wanted === name ? file : null;
  };
}

describe("onnxruntime's .wasm bytes from the page", () => {
  it('are the file of the build being loaded, checked against their hash', async () => {
    const asked: string[] = [];
    const source = holding(ORT_WASM_FILE.webgpu, { hash: await sha256Hex(bytes), bytes }, asked);
    expect(await ortWasmBinary(source, 'webgpu')).toBe(bytes);
    expect(await ortWasmBinary(source, 'wasm')).toBeUndefined();
    expect(asked).toEqual(['ort-wasm-simd-threaded.asyncify.wasm', 'ort-wasm-simd-threaded.wasm']);
    expect(await ortWasmBinary(undefined, 'wasm')).toBeUndefined();
  });

  it('are refused when they do not hash to their name', async () => {
    const source = holding(ORT_WASM_FILE.wasm, { hash: await sha256Hex(Uint8Array.of(1)), bytes });
    await expect(ortWasmBinary(source, 'wasm')).rejects.toThrow(/do not hash to/);
  });

  it('are handed to onnxruntime before it fetches any .wasm, and a wrong file fails the load', async () => {
    const good = new OrtLoader({
      numThreads: 1,
      wasmBinary: holding(ORT_WASM_FILE.wasm, { hash: await sha256Hex(bytes), bytes }),
    });
    expect((await good.load('wasm')).env.wasm.wasmBinary).toBe(bytes);
    const bad = new OrtLoader({
      numThreads: 1,
      wasmBinary: holding(ORT_WASM_FILE.wasm, { hash: await sha256Hex(Uint8Array.of(1)), bytes }),
    });
    await expect(bad.load('wasm')).rejects.toThrow(/do not hash to/);
  });
});
