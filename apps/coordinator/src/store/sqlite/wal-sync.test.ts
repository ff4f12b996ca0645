import { describe, expect, it } from 'vitest';
import { WalSync } from './wal-sync';

/** A disk whose flushes finish only when the test says so. */
function disk() {
  const pending: (() => void)[] = [];
  const sync = new WalSync(() => new Promise<void>((resolve) => pending.push(resolve)));
  return { sync, pending, finish: () => (pending.shift() as () => void)() };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('WalSync', () => {
  it('answers a commit only after a flush that began after it has finished', async () => {
    const { sync, pending, finish } = disk();
    let first = false;
    let second = false;
    void sync.durable().then(() => {
      first = true;
    });
    await tick();
    // Committed while the first flush runs: that flush may not hold it.
    void sync.durable().then(() => {
      second = true;
    });
    expect(pending).toHaveLength(1);
    finish();
    await tick();
    expect([first, second]).toEqual([true, false]);
    expect(pending).toHaveLength(1);
    finish();
    await tick();
    expect(second).toBe(true);
  });

  it('covers every commit made during one flush with the next single flush', async () => {
    const { sync, pending, finish } = disk();
    void sync.durable();
    const waiting = Array.from({ length: 50 }, () => sync.durable());
    finish();
    await tick();
    expect(pending).toHaveLength(1);
    finish();
    await Promise.all(waiting);
    expect(sync.flushes).toBe(2);
  });

  it('fails the commits a failed flush was to cover, and flushes again for later ones', async () => {
    let fail = true;
    const sync = new WalSync(async () => {
      if (fail) throw new Error('EIO');
    });
    await expect(sync.durable()).rejects.toThrow('EIO');
    fail = false;
    await expect(sync.durable()).resolves.toBeUndefined();
  });
});
