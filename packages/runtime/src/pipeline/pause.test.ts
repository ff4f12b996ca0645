// The pipeline paused: it takes no new work and resumes where it stopped, and stays busy until every unit in the
// worker has its result recorded. What it gives back when a pause lasts is page-leases.test.ts's.
import { describe, expect, it } from 'vitest';
import { MemoryOutbox } from '../outbox';
import { Pipeline } from './pipeline';
import { capabilities, fakeClient, fakeCompute, pipelineFor, until } from './fakes';

describe('pipeline paused', () => {
  it('stays busy after a pause until every unit in the worker has its result recorded', async () => {
    // The outbox holds its writes until released: a unit that finished computing is still the pipeline's
    // until its result is stored, so a paused volunteer reads 'pausing', not 'paused', meanwhile.
    const { client, log } = await fakeClient(4);
    const outbox = new MemoryOutbox();
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const putMany = outbox.putMany.bind(outbox);
    outbox.putMany = async (entries) => {
      await held;
      return putMany(entries);
    };
    const pipeline = new Pipeline({
      client,
      compute: fakeCompute(log),
      assets: async () => new Map(),
      outbox,
      capabilities,
      onResult: () => undefined,
      emit: () => undefined,
      maxIdleWaitMs: 20,
    });
    pipeline.start();
    await until(() => log.includes('done 1'));
    pipeline.pause();
    // Every unit handed to the worker finishes computing; none is recorded yet.
    await until(() => log.filter((l) => l.startsWith('run')).length === log.filter((l) => l.startsWith('done')).length);
    expect(pipeline.busy).toBe(true);
    expect(pipeline.counts.computed).toBe(0);
    release();
    await until(() => !pipeline.busy);
    const ran = log.filter((l) => l.startsWith('done')).length;
    expect(pipeline.counts.computed).toBe(ran);
    expect(await outbox.size()).toBe(ran);
    await pipeline.stop();
  });

  it('takes no new work while paused and resumes where it stopped', async () => {
    const { client, log } = await fakeClient(3);
    const { pipeline, outbox } = await pipelineFor(client, fakeCompute(log, { delayMs: 10 }));
    pipeline.pause();
    pipeline.start();
    await new Promise((r) => setTimeout(r, 50));
    expect(log.filter((l) => l.startsWith('run'))).toEqual([]);
    pipeline.resume();
    await until(async () => (await outbox.size()) === 3);
    await pipeline.stop();
  });
});
