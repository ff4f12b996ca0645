// A page learns within a check that the grid withdrew a job it holds units of (a cancelled job's), by naming its
// jobs in a heartbeat (lease-renewal.ts), long before any of its leases is due for renewal: the unit it computes is
// stopped, those it holds are never started, and nothing of them reaches the outbox.
import type { LeaseId } from '@bricolage/protocol';
import { expect, it } from 'vitest';
import type { Interrupted } from '../host';
import type { PipelineClient, PipelineCompute } from './pipeline';
import { fakeClient, fakeCompute, job, pipelineFor, until } from './fakes';

/** A worker that runs one unit at a time; a unit whose input starts with 1 runs until it is stopped. */
function slowFirst(log: string[]): PipelineCompute {
  const inner = fakeCompute(log);
  let tail: Promise<unknown> = Promise.resolve();
  const aborted: Interrupted = { ok: false, code: 'aborted', message: 'the computation was aborted' };
  return {
    prepare: inner.prepare,
    run(jobId, input, budget, signal) {
      const first = input[0]!;
      const run = tail.then(async () => {
        if (signal?.aborted) return aborted;
        if (first !== 1) return inner.run(jobId, input, budget, signal);
        log.push('run 1');
        await new Promise((resolve) => signal?.addEventListener('abort', resolve, { once: true }));
        log.push('stopped 1');
        return aborted;
      });
      tail = run;
      return run;
    },
  };
}

it('stops the unit it computes and starts none of the others once the heartbeat says their job was withdrawn', async () => {
  const { client: plain } = await fakeClient(4);
  let withdrawn = false;
  const asked: { leases: readonly string[]; jobs?: readonly string[] }[] = [];
  const client: PipelineClient = {
    ...plain,
    async heartbeat(leases, jobs) {
      asked.push({ leases, ...(jobs ? { jobs } : {}) });
      const ended = withdrawn && jobs?.includes(job.id) ? ['ls_1', 'ls_2', 'ls_3', 'ls_4'] : [];
      return { ok: true, value: { leases: [], withdrawn: ended as LeaseId[] } };
    },
  };
  const log: string[] = [];
  // Checked often here; a page checks every 5 s, and asks about its jobs every 10 s.
  const { pipeline, outbox, events } = await pipelineFor(client, slowFirst(log), {
    heartbeatCheckMs: 10,
    jobCheckMs: 20,
  });
  pipeline.start();
  await until(() => log.includes('run 1'));
  // None of the leases (a minute long) is near half its life: only the question about jobs can tell it.
  withdrawn = true;
  await until(() => log.includes('stopped 1') && !pipeline.busy);
  await pipeline.stop();
  expect(asked.every((a) => a.leases.length === 0)).toBe(true);
  expect(asked.at(-1)?.jobs).toEqual([job.id]);
  expect(log.filter((l) => l.startsWith('run'))).toEqual(['run 1']);
  expect(await outbox.size()).toBe(0);
  const skipped = events.filter((e) => e.type === 'warning' && e.message.includes('withdrawn with its job'));
  expect(skipped.length).toBeGreaterThanOrEqual(1);
});
