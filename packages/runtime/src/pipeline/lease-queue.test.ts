// The lease queue on its own, where the pipeline's tests cannot reach it.
import { MAX_LEASE_REQUEST } from '@bricolage/protocol';
import { expect, it } from 'vitest';
import { capabilities, fakeClient, fakeCompute } from './fakes';
import { LeaseQueue } from './lease-queue';

it('asks for no more units than a lease request may, however far ahead it leases', async () => {
  const { client, log } = await fakeClient(3000);
  const asked: number[] = [];
  const queue = new LeaseQueue({
    client: {
      ...client,
      lease: (request) => {
        asked.push(request.max ?? 1);
        return client.lease(request);
      },
    },
    compute: fakeCompute(log),
    assets: async () => new Map(),
    capabilities: () => capabilities,
    emit: () => undefined,
    clock: { now: Date.now, monotonic: () => performance.now() },
    sleep: async () => undefined,
    running: () => true,
    onError: (message) => {
      throw new Error(message);
    },
    onLeased: () => undefined,
    ahead: () => 0,
  });
  await queue.leaseMore(2048);
  expect(asked).toEqual([MAX_LEASE_REQUEST]);
  expect(queue.length).toBe(MAX_LEASE_REQUEST);
});
