// The page's handle on the worker, against a worker stand-in on a MessageChannel (comlink on both ends, as
// in the browser): several units in one call, each held to its own time budget.
import { expose } from 'comlink';
import { describe, expect, it } from 'vitest';
import type { ComputeApi, ComputeOutcome } from './compute/api';
import { ComputeHost } from './host';

const ok = (input: Uint8Array): ComputeOutcome => ({
  ok: true,
  output: input.map((b) => b * 2),
  outputHash: '0'.repeat(64),
  backend: 'wasm',
  elapsedMs: 1,
});

/**
 * A worker whose units double their bytes, except that a unit starting with 99 never ends (one with 50 takes 300 ms,
 * alone in a call, after the calls before it); a job named `broken` does not compile, and one named `flaky`
 * fails to prepare once.
 */
function standIn(calls: string[]) {
  let flaky = 0;
  return () => {
    const { port1, port2 } = new MessageChannel();
    let running: Promise<void> = Promise.resolve();
    const api: Partial<ComputeApi> = {
      configure: async () => undefined,
      async prepare({ job }) {
        calls.push(`prepare ${job}`);
        if (job === 'broken') return { ok: false, code: 'compile_failed', message: 'line 1: nonsense' };
        if (job === 'flaky' && flaky++ === 0) return { ok: false, code: 'runtime_error', message: 'fetch failed' };
        return { ok: true };
      },
      // One run at a time, as the worker's queue runs them (compute-service.ts).
      run(_job, input) {
        calls.push(`run ${input[0]}`);
        const done = running.then(async () => {
          if (input[0] === 50) await new Promise((resolve) => setTimeout(resolve, 300));
          return ok(input);
        });
        running = done.then(() => undefined);
        return done;
      },
      async runMany(_job, inputs, outcomes) {
        calls.push(`runMany ${inputs.map((i) => i[0]).join(',')}`);
        // Inputs from 7 on end together, as a stacked run's do: one message for all of them.
        const together = inputs.findIndex((i) => i[0] === 7);
        for (const [index, input] of inputs.entries()) {
          if (index === together) {
            outcomes.postMessage({ first: index, outcomes: inputs.slice(index).map(ok) });
            return;
          }
          if (input[0] === 99) await new Promise(() => undefined);
          outcomes.postMessage({ first: index, outcomes: [ok(input)] });
        }
      },
    };
    expose(api, port2);
    return Object.assign(port1, { terminate: () => port1.close() }) as unknown as Worker;
  };
}

describe('compute host', () => {
  it('starts no worker until something needs one: a page delivering old results computes nothing', async () => {
    const calls: string[] = [];
    let workers = 0;
    const make = standIn(calls);
    const host = new ComputeHost({
      config: {},
      createWorker: () => {
        workers++;
        return make();
      },
    });
    host.forget('job');
    expect(workers).toBe(0);
    const [outcome] = await Promise.all(host.runMany('job', [new Uint8Array([1])], 5000));
    expect(outcome?.ok).toBe(true);
    expect(workers).toBe(1);
    // A stuck unit aborted (a Stop): its worker is ended, and the next starts only when asked for something.
    const abort = new AbortController();
    const [stuck] = host.runMany('job', [new Uint8Array([99])], 5000, abort.signal);
    abort.abort();
    expect(await stuck).toMatchObject({ ok: false, code: 'aborted' });
    expect(workers).toBe(1);
    const [again] = await Promise.all(host.runMany('job', [new Uint8Array([2])], 5000));
    expect(again?.ok).toBe(true);
    expect(workers).toBe(2);
    host.close();
    // Closed: nothing starts a worker again, and what is asked fails rather than waits.
    await expect(host.probe()).rejects.toThrow('closed');
    expect(workers).toBe(2);
  });

  it('stops one unit of a call alone: the worker is ended once, those after it come back restarted', async () => {
    const restarts: string[] = [];
    const host = new ComputeHost({ config: {}, createWorker: standIn([]), onRestart: (why) => restarts.push(why) });
    // The first unit ends; the second never would; the third waits behind it.
    const stops = [1, 99, 3].map(() => new AbortController());
    const outcomes = host.runMany(
      'job',
      [1, 99, 3].map((b) => new Uint8Array([b])),
      5000,
      stops.map((s) => s.signal),
    );
    expect(await outcomes[0]).toMatchObject({ ok: true });
    // Its lease withdrawn, and the unit behind it's too, together: one worker ended for both.
    stops[1]!.abort();
    stops[2]!.abort();
    expect(await outcomes[1]).toMatchObject({ ok: false, code: 'aborted' });
    expect(await outcomes[2]).toMatchObject({ ok: false, code: 'aborted' });
    expect(restarts).toEqual(['computation aborted']);
    // A unit stopped alone leaves the units behind it to run again on the next worker.
    const stop = new AbortController();
    const [alone, after] = host.runMany('job', [new Uint8Array([99]), new Uint8Array([5])], 5000, [
      stop.signal,
      new AbortController().signal,
    ]);
    stop.abort();
    expect(await alone).toMatchObject({ ok: false, code: 'aborted' });
    expect(await after).toMatchObject({ ok: false, code: 'restarted' });
    expect(restarts).toHaveLength(2);
    host.close();
  });

  it("starts a call's time budget when the call before it ends, on a worker just started too", async () => {
    const host = new ComputeHost({ config: {}, createWorker: standIn([]) });
    // The first call takes 300 ms; the second's 200 ms budget is its own unit's, not the wait behind the first.
    const [slow] = host.runMany('job', [new Uint8Array([50])], 5000);
    const [quick] = host.runMany('job', [new Uint8Array([1])], 200);
    expect(await slow).toMatchObject({ ok: true });
    expect(await quick).toMatchObject({ ok: true });
    host.close();
  });

  it('runs several units in one call to the worker, one outcome each', async () => {
    const calls: string[] = [];
    const host = new ComputeHost({ config: {}, createWorker: standIn(calls) });
    const outcomes = await Promise.all(
      host.runMany(
        'job',
        [1, 2, 3].map((n) => new Uint8Array([n, n])),
        5000,
      ),
    );
    expect(outcomes.map((o) => o.ok && [...o.output])).toEqual([
      [2, 2],
      [4, 4],
      [6, 6],
    ]);
    expect(calls).toEqual(['runMany 1,2,3']);
    host.close();
  });

  it('tells each unit its own outcome when the worker posts several in one message (a stacked run)', async () => {
    const host = new ComputeHost({ config: {}, createWorker: standIn([]) });
    const outcomes = await Promise.all(
      host.runMany(
        'job',
        [1, 7, 8, 9].map((n) => new Uint8Array([n])),
        5000,
      ),
    );
    expect(outcomes.map((o) => o.ok && [...o.output])).toEqual([[2], [14], [16], [18]]);
    host.close();
  });

  it('compiles a job its code cannot run on this device once, not once per unit; a passing failure is tried again', async () => {
    const calls: string[] = [];
    const host = new ComputeHost({ config: {}, createWorker: standIn(calls) });
    const spec = { kind: 'onnx', model: 'm' } as never;
    const assets = async () => new Map();
    for (let i = 0; i < 3; i++) expect((await host.prepare('broken', spec, 'wasm', assets)).ok).toBe(false);
    expect(calls.filter((c) => c === 'prepare broken')).toHaveLength(1);
    expect((await host.prepare('flaky', spec, 'wasm', assets)).ok).toBe(false);
    expect((await host.prepare('flaky', spec, 'wasm', assets)).ok).toBe(true);
    expect(calls.filter((c) => c === 'prepare flaky')).toHaveLength(2);
    host.close();
  });

  it('times out the stuck unit of a batch alone: those before it are done, those after never ran', async () => {
    const calls: string[] = [];
    const restarts: string[] = [];
    const host = new ComputeHost({ config: {}, createWorker: standIn(calls), onRestart: (r) => restarts.push(r) });
    const outcomes = await Promise.all(
      host.runMany(
        'job',
        [1, 99, 3].map((n) => new Uint8Array([n])),
        200,
      ),
    );
    expect(outcomes.map((o) => (o.ok ? 'ok' : o.code))).toEqual(['ok', 'timeout', 'restarted']);
    expect(restarts).toEqual(['work unit exceeded its time budget of 200 ms']);
    // The fresh worker takes the next call.
    const [again] = host.runMany('job', [new Uint8Array([3])], 5000);
    expect(await again).toMatchObject({ ok: true });
    expect(calls.at(-1)).toBe('run 3');
    host.close();
  });

  it("gives each worker the page's source of onnxruntime's .wasm, which the worker calls across the channel", async () => {
    const { port1, port2 } = new MessageChannel();
    let got: Promise<unknown> | undefined;
    expose(
      {
        configure: async (_config: unknown, ortWasm?: (file: string) => Promise<unknown>) => {
          got = ortWasm?.('ort-wasm-simd-threaded.wasm');
        },
      },
      port2,
    );
    const asked: string[] = [];
    const host = new ComputeHost({
      config: {},
      createWorker: () => Object.assign(port1, { terminate: () => port1.close() }) as unknown as Worker,
      ortWasm: async (file) => {
        asked.push(file);
        return { hash: 'h', bytes: Uint8Array.of(7) };
      },
    });
    // The worker starts with the first thing asked of it (this stand-in answers only `configure`).
    void host.probe().catch(() => undefined);
    await expect.poll(() => got).toBeDefined();
    expect(await got).toEqual({ hash: 'h', bytes: Uint8Array.of(7) });
    expect(asked).toEqual(['ort-wasm-simd-threaded.wasm']);
    host.close();
  });
});
