// Stacking in the compute worker, with the real onnxruntime-web (wasm) in Node: a job that allows it computes
// several units in one run once its time per unit is known, each unit getting exactly its own output and its
// share of the run's time; a job that does not is computed unit by unit; and a model that will not stack,
// whatever its job says, still computes every unit, alone.
import type { BlobHash, JobSpec } from '@bricolage/protocol';
import { sha256Hex } from '@bricolage/protocol';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { tinyModel } from '../executors/onnx/onnx-bytes';
import { OnnxExecutor } from '../executors/onnx/onnx-executor';
import type { ComputeOutcome, OutcomeRun } from './api';
import { ComputeService } from './compute-service';
import { MAX_STACK, StackSizes } from './stacking';

// vitest's 1 s would let a stall on a loaded 2-core machine decide the test (vitest.config.ts raises expect.poll's).
const SOON = { timeout: 10_000, interval: 5 };

/** y = x·x per element over [4, 8] per unit: a unit's output shows whose input it came from. */
const square = (first: number | string) =>
  tinyModel(
    'square',
    [{ op: 'Mul', inputs: ['x', 'x'], outputs: ['y'] }],
    [{ name: 'x', shape: [first, 8] }],
    [{ name: 'y', shape: [first, 8] }],
  );
const unit = (n: number) => new Uint8Array(new Float32Array(32).map((_, i) => n + i / 64).buffer);
const squared = (n: number) => [...new Float32Array(32).map((_, i) => (n + i / 64) ** 2)];

let service: ComputeService;
const assets = new Map<string, Uint8Array>();
const spec = async (model: Uint8Array, stackable: boolean): Promise<JobSpec> => {
  const hash = await sha256Hex(model);
  assets.set(hash, model);
  return {
    kind: 'onnx',
    model: hash as BlobHash,
    inputs: [{ name: 'x', dtype: 'float32', shape: [4, 8] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [4, 8] }],
    forbidNaN: true,
    stackable,
  };
};

/** The outcomes of one runMany call, in index order; `messages` counts the messages they came in. */
async function runMany(job: string, inputs: Uint8Array[], messages: number[] = []): Promise<ComputeOutcome[]> {
  const { port1, port2 } = new MessageChannel();
  const told: OutcomeRun[] = [];
  port1.onmessage = ({ data }: MessageEvent<OutcomeRun>) => told.push(data);
  await service.runMany(job, inputs, port2);
  await vi.waitFor(() => expect(told.reduce((n, t) => n + t.outcomes.length, 0)).toBe(inputs.length), SOON);
  port1.close();
  messages.push(told.length);
  return told.sort((a, b) => a.first - b.first).flatMap((t) => t.outcomes);
}

const floats = (o: ComputeOutcome) => {
  if (!o.ok) throw new Error(`${o.code}: ${o.message}`);
  return [...new Float32Array(o.output.buffer, o.output.byteOffset, o.output.byteLength / 4)];
};

beforeAll(async () => {
  service = new ComputeService();
  // Node has no cross-origin isolation: one onnxruntime thread.
  await service.configure({ ortThreads: 1 });
});
afterEach(() => vi.restoreAllMocks());

describe('stacked units', () => {
  it('are computed together once the job’s time is known, each with its own output and its share of the run', async () => {
    const prepared = await service.prepare({
      job: 'stacks',
      spec: await spec(square('samples'), true),
      backend: 'onnx-wasm',
      assets,
    });
    expect(prepared).toEqual({ ok: true });
    const stacked = vi.spyOn(OnnxExecutor.prototype, 'runStacked');
    // Not measured yet: the first call runs its units one by one, and measures them.
    expect((await runMany('stacks', [unit(1), unit(2)])).map(floats)).toEqual([squared(1), squared(2)]);
    expect(stacked).not.toHaveBeenCalled();
    // How many go together follows the measured time (its own test below); here, as for a unit of 0.5 ms.
    const size = vi.spyOn(StackSizes.prototype, 'size').mockImplementation((_, waiting) => Math.min(waiting, 20));
    const n = 50;
    const messages: number[] = [];
    const outcomes = await runMany(
      'stacks',
      Array.from({ length: n }, (_, i) => unit(i + 10)),
      messages,
    );
    expect(outcomes.map(floats)).toEqual(Array.from({ length: n }, (_, i) => squared(i + 10)));
    expect(size.mock.calls.map(([, waiting]) => waiting)).toEqual([50, 30, 10]);
    expect(stacked.mock.calls.map(([, inputs]) => inputs.length)).toEqual([20, 20, 10]);
    // The units of one run end together and are told together: one message to the page per run, not per unit.
    expect(messages).toEqual([3]);
    // Each unit's span is its share of its run: one after the other, none overlapping, none empty.
    for (const [i, o] of outcomes.entries()) {
      expect(o.endedAt!).toBeGreaterThan(o.startedAt!);
      if (i > 0) expect(o.startedAt!).toBeGreaterThanOrEqual(outcomes[i - 1]!.endedAt! - 1e-6);
    }
  });

  it('are not stacked for a job that does not allow it', async () => {
    await service.prepare({ job: 'alone', spec: await spec(square('samples'), false), backend: 'onnx-wasm', assets });
    const stacked = vi.spyOn(OnnxExecutor.prototype, 'runStacked');
    await runMany('alone', [unit(1)]);
    expect((await runMany('alone', [1, 2, 3, 4].map(unit))).map(floats)).toEqual([1, 2, 3, 4].map(squared));
    expect(stacked).not.toHaveBeenCalled();
  });

  it('are computed one by one when the model will not stack, though the job says it does', async () => {
    // A fixed first dimension: the coordinator refuses such a job, and the worker does not count on it.
    await service.prepare({ job: 'fixed', spec: await spec(square(4), true), backend: 'onnx-wasm', assets });
    const stacked = vi.spyOn(OnnxExecutor.prototype, 'runStacked');
    await runMany('fixed', [unit(1)]);
    expect((await runMany('fixed', [1, 2, 3, 4].map(unit))).map(floats)).toEqual([1, 2, 3, 4].map(squared));
    expect((await runMany('fixed', [5, 6, 7].map(unit))).map(floats)).toEqual([5, 6, 7].map(squared));
    // Tried once, then no more for this job.
    expect(stacked).toHaveBeenCalledTimes(1);
  });
});

describe('how many units go together', () => {
  it('is one until the job’s time is known, then what fills 10 ms if that is four or more, at most MAX_STACK and what waits', () => {
    const sizes = new StackSizes();
    expect(sizes.size('j', 40)).toBe(1);
    sizes.record('j', 2);
    expect(sizes.size('j', 40)).toBe(5);
    expect(sizes.size('j', 3)).toBe(3);
    sizes.record('j', 0.5); // the moving average: 2·0.7 + 0.5·0.3 = 1.55 ms
    expect(sizes.size('j', 40)).toBe(6);
    for (let i = 0; i < 40; i++) sizes.record('j', 0.001);
    expect(sizes.size('j', 1000)).toBe(MAX_STACK);
    // Units of milliseconds gain nothing from a stack of two or three: computed alone.
    sizes.record('slow', 3);
    expect(sizes.size('slow', 40)).toBe(1);
    sizes.record('slow', 25);
    expect(sizes.size('slow', 40)).toBe(1);
    sizes.refuse('j');
    expect(sizes.size('j', 40)).toBe(1);
    sizes.forget('j');
    expect(sizes.size('j', 40)).toBe(1);
  });
});
