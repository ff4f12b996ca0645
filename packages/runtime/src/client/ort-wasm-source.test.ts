import { type BlobHash, sha256Hex } from '@bricolage/protocol';
import type { OrtWasmFiles } from '@bricolage/protocol/peer';
import { describe, expect, it } from 'vitest';
import { AssetCache } from './assets';
import type { ClientResult } from './coordinator-client';
import { ortWasmSource } from './ort-wasm-source';

const wasm = Uint8Array.from([0, 97, 115, 109, 1, 0, 0, 0]);

describe("the worker's source of onnxruntime's .wasm", () => {
  it('names the file by the hash the coordinator lists and fetches it through the blob source, once', async () => {
    const hash = (await sha256Hex(wasm)) as BlobHash;
    const fetched: string[] = [];
    const assets = new AssetCache({
      blob: async (h) => {
        fetched.push(h);
        return { ok: true, value: wasm };
      },
    });
    let listed = 0;
    const source = ortWasmSource(async () => {
      listed++;
      return { ok: true, value: { files: [{ name: 'ort-wasm-simd-threaded.wasm', hash, size: wasm.length }] } };
    }, assets);
    expect(await source('ort-wasm-simd-threaded.wasm')).toEqual({ hash, bytes: wasm });
    expect(await source('ort-wasm-simd-threaded.wasm')).toEqual({ hash, bytes: wasm });
    // Not published: onnxruntime fetches it by URL.
    expect(await source('ort-wasm-simd-threaded.asyncify.wasm')).toBeNull();
    expect([listed, fetched]).toEqual([1, [hash]]);
  });

  it('answers null while the list cannot be had, and asks for it again next time', async () => {
    const replies: ClientResult<OrtWasmFiles>[] = [
      { ok: false, error: { code: 'network', message: 'down', status: 0, transient: true } },
      { ok: true, value: { files: [] } },
    ];
    let listed = 0;
    const source = ortWasmSource(
      async () => replies[listed++]!,
      new AssetCache({ blob: async () => ({ ok: true, value: wasm }) }),
    );
    expect(await source('ort-wasm-simd-threaded.wasm')).toBeNull();
    expect(await source('ort-wasm-simd-threaded.wasm')).toBeNull();
    expect(listed).toBe(2);
  });

  it('fails when the blob source refuses the bytes, as for any asset', async () => {
    const hash = (await sha256Hex(wasm)) as BlobHash;
    const assets = new AssetCache({
      blob: async () => ({
        ok: false,
        error: {
          code: 'hash_mismatch',
          message: `blob ${hash} does not hash to its name`,
          status: 200,
          transient: false,
        },
      }),
    });
    const source = ortWasmSource(
      async () => ({ ok: true, value: { files: [{ name: 'ort-wasm-simd-threaded.wasm', hash, size: 8 }] } }),
      assets,
    );
    await expect(source('ort-wasm-simd-threaded.wasm')).rejects.toThrow(/does not hash to its name/);
  });
});
