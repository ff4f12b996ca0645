// Warming onnxruntime ahead of the first ONNX job: it starts the runtime once, with a session of its own that it
// releases, and a failure is the job's preparation's to meet, not the warm-up's.
import type { BlobHash, JobSpec } from '@bricolage/protocol';
import { sha256Hex } from '@bricolage/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tinyModel } from './onnx-bytes';
import { OnnxExecutor } from './onnx-executor';
import { OrtLoader } from './ort';

afterEach(() => vi.restoreAllMocks());

const double = tinyModel(
  'double',
  [{ op: 'Add', inputs: ['x', 'x'], outputs: ['y'] }],
  [{ name: 'x', shape: [4] }],
  [{ name: 'y', shape: [4] }],
);

/** A job of the `double` model, and its hash. */
async function doubleJob(): Promise<{ spec: JobSpec; model: BlobHash }> {
  const model = (await sha256Hex(double)) as BlobHash;
  const spec: JobSpec = {
    kind: 'onnx',
    model,
    inputs: [{ name: 'x', dtype: 'float32', shape: [4] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [4] }],
    forbidNaN: true,
  };
  return { spec, model };
}

describe('OnnxExecutor.warm', () => {
  it('loads onnxruntime, then starts it once with one small session it releases, and the first job runs on it', async () => {
    const loader = new OrtLoader({ numThreads: 1 });
    const ort = await loader.forProvider('wasm');
    const create = vi.spyOn(ort.InferenceSession, 'create');
    const executor = new OnnxExecutor('wasm', loader);
    await executor.warm('load');
    expect(create).not.toHaveBeenCalled();
    await Promise.all([executor.warm('start'), executor.warm('start')]);
    await executor.warm('start');
    expect(create).toHaveBeenCalledTimes(1);
    const warmSession = (await create.mock.results[0]!.value) as { release(): Promise<void> };
    // Released already: releasing it again fails.
    await expect(warmSession.release()).rejects.toThrow();

    const { spec, model } = await doubleJob();
    await executor.prepare('j', spec, new Map([[model, double]]));
    const out = await executor.run('j', new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer));
    expect([...new Float32Array(out.buffer, out.byteOffset, 4)]).toEqual([2, 4, 6, 8]);
  });

  it('creates sessions one at a time: the warm-up’s and the first job’s never overlap', async () => {
    const loader = new OrtLoader({ numThreads: 1 });
    const ort = await loader.forProvider('wasm');
    const create = ort.InferenceSession.create.bind(ort.InferenceSession);
    let inFlight = 0;
    let most = 0;
    vi.spyOn(ort.InferenceSession, 'create').mockImplementation((async (...args: Parameters<typeof create>) => {
      most = Math.max(most, ++inFlight);
      try {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return await create(...args);
      } finally {
        inFlight--;
      }
    }) as typeof create);
    const executor = new OnnxExecutor('wasm', loader);
    const { spec, model } = await doubleJob();
    await Promise.all([executor.warm('start'), executor.prepare('j', spec, new Map([[model, double]]))]);
    expect(most).toBe(1);
  });

  it('never rejects: onnxruntime that cannot load is the job’s preparation’s to report', async () => {
    const loader = new OrtLoader({ numThreads: 1 });
    vi.spyOn(loader, 'forProvider').mockRejectedValue(new Error('no wasm here'));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const executor = new OnnxExecutor('wasm', loader);
    await expect(executor.warm('load')).resolves.toBeUndefined();
    await expect(executor.warm('start')).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledTimes(2);
  });
});
