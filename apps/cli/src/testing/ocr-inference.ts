// The tests' handle on ocr-inference.worker.ts: the operated models' inference on another thread.
import { Worker } from 'node:worker_threads';
import { loadOcrModels } from '@bricolage/workloads/node';

/** What ocr-inference.worker.mjs answers to `{ id, input }`. */
type InferenceReply =
  | { readonly id: number; readonly output: Uint8Array }
  | { readonly id: number; readonly error: string };

export interface OcrInference {
  /** Detection's probability map for a 640×640 page, or recognition's classes for 8 lines, as bytes. */
  run(input: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

export async function startOcrInference(): Promise<OcrInference> {
  const worker = new Worker(new URL('./ocr-inference.worker.mjs', import.meta.url), { workerData: loadOcrModels() });
  const waiting = new Map<number, { resolve(out: Uint8Array): void; reject(e: Error): void }>();
  let failed: Error | null = null;
  const fail = (e: Error) => {
    failed = e;
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the inference worker exited (${code})`)));
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  worker.on('message', (reply: InferenceReply) => {
    const w = waiting.get(reply.id);
    waiting.delete(reply.id);
    if ('error' in reply) w?.reject(new Error(reply.error));
    else w?.resolve(reply.output);
  });
  let next = 0;
  return {
    run(input) {
      if (failed) return Promise.reject(failed);
      const id = next++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, input });
      });
    },
    async close() {
      worker.removeAllListeners('exit');
      await worker.terminate();
    },
  };
}
