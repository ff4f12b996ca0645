// One page per key takes back its leases: the claim is a Web Lock held while the page computes.
import { expect, it } from 'vitest';
import { claimKey } from './key-claim';

/** Web Locks' `ifAvailable` requests, as a browser grants them: one holder per name, until its callback settles. */
function locks() {
  const held = new Set<string>();
  return {
    async request(name: string, _options: { ifAvailable: true }, callback: (lock: object | null) => unknown) {
      if (held.has(name)) return callback(null);
      held.add(name);
      try {
        return await callback({ name });
      } finally {
        held.delete(name);
      }
    },
  } as unknown as Pick<LockManager, 'request'>;
}

it('lets one page of a key take back its leases until it lets go, and any page of another key', async () => {
  const browser = locks();
  const first = await claimKey('k1', browser);
  expect(first.sole).toBe(true);
  expect((await claimKey('k1', browser)).sole).toBe(false);
  expect((await claimKey('k2', browser)).sole).toBe(true);
  first.release();
  await new Promise((resolve) => setTimeout(resolve, 0));
  expect((await claimKey('k1', browser)).sole).toBe(true);
});

it('takes back nothing where the locks refuse, and everything where there are none', async () => {
  const refusing = { request: () => Promise.reject(new DOMException('opaque origin', 'SecurityError')) };
  expect((await claimKey('k', refusing as unknown as Pick<LockManager, 'request'>)).sole).toBe(false);
  expect((await claimKey('k', undefined)).sole).toBe(true);
});
