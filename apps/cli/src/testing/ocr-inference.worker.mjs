// The operated OCR models run in a worker thread for the tests' volunteers, as a browser runs them in a Web
// Worker: inference takes seconds on a loaded machine, and on the test's own thread it would stall the
// in-process coordinator and the HTTP clients beside it for as long (a request sent as the blocked loop woke
// up was lost, and the test waited out its timeout: CI, 2026-12-01). Plain JavaScript, because a worker
// thread does not go through the test runner's TypeScript loader; ocr-inference.ts types its messages.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-web';

/** A page is 640×640 grey bytes, for detection; anything else is 8 lines of height 48, for recognition. */
const PAGE_BYTES = 640 * 640;

async function serve(models) {
  ort.env.wasm.numThreads = 1;
  const det = await ort.InferenceSession.create(models.detection, { executionProviders: ['wasm'] });
  const rec = await ort.InferenceSession.create(models.recognition, { executionProviders: ['wasm'] });
  parentPort.on('message', async ({ id, input }) => {
    try {
      const out =
        input.length === PAGE_BYTES
          ? (await det.run({ image: new ort.Tensor('uint8', input, [1, 640, 640]) })).prob
          : (await rec.run({ image: new ort.Tensor('uint8', input, [8, 48, input.length / 8 / 48]) })).classes;
      const data = out.data;
      const output = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
      parentPort.postMessage({ id, output }, [output.buffer]);
    } catch (e) {
      parentPort.postMessage({ id, error: e instanceof Error ? e.message : String(e) });
    }
  });
  parentPort.postMessage('ready');
}

await serve(workerData);
