// Where the compute worker gets onnxruntime's .wasm bytes: the coordinator names them by hash, and the bytes
// come through the asset cache, that is through the page's blob source (peers first, then the coordinator).
import type { OrtWasmFiles } from '@bricolage/protocol/peer';
import type { OrtWasmSource } from '../executors/onnx/ort-wasm';
import type { AssetCache } from './assets';
import type { ClientResult } from './coordinator-client';

/**
 * A file the coordinator does not publish (a page served by another server, an older coordinator) is null:
 * onnxruntime then fetches it by URL as it always did. The list is asked once; a failed ask is asked again.
 */
export function ortWasmSource(list: () => Promise<ClientResult<OrtWasmFiles>>, assets: AssetCache): OrtWasmSource {
  let files: Promise<ClientResult<OrtWasmFiles>> | null = null;
  return async (name) => {
    files ??= list();
    const listed = await files;
    if (!listed.ok) {
      files = null;
      // Unreachable or refused now: the URL is the coordinator too, and fails or works the same way.
      return null;
    }
    const file = listed.value.files.find((f) => f.name === name);
    if (!file) return null;
    const bytes = (await assets.get([file.hash])).get(file.hash);
    return bytes ? { hash: file.hash, bytes } : null;
  };
}
