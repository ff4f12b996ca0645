// onnxruntime's .wasm file as bytes the page obtained (from peers first, else the coordinator), checked against
// the SHA-256 that names it before onnxruntime may compile it; no bytes, and onnxruntime fetches it by URL.
import { sha256Hex } from '@bricolage/protocol';

/** The onnxruntime-web builds the worker loads: plain wasm, or the one with the WebGPU execution provider. */
export type OrtBuild = 'wasm' | 'webgpu';

/** The .wasm file onnxruntime-web 1.30 asks for in each build (its `locateFile` names). */
export const ORT_WASM_FILE: Readonly<Record<OrtBuild, string>> = {
  wasm: 'ort-wasm-simd-threaded.wasm',
  webgpu: 'ort-wasm-simd-threaded.asyncify.wasm',
};

/** A .wasm file by the name onnxruntime asks for, with its hash; null when none is published. */
export type OrtWasmSource = (file: string) => Promise<{ readonly hash: string; readonly bytes: Uint8Array } | null>;

/** The bytes of a build's .wasm, verified; undefined when the source has none; a rejection when they are wrong. */
export async function ortWasmBinary(
  source: OrtWasmSource | undefined,
  build: OrtBuild,
): Promise<Uint8Array | undefined> {
  if (!source) return undefined;
  const file = ORT_WASM_FILE[build];
  const found = await source(file);
  if (!found) return undefined;
  if ((await sha256Hex(found.bytes)) !== found.hash) throw new Error(`${file}: the bytes do not hash to ${found.hash}`);
  return found.bytes;
}
