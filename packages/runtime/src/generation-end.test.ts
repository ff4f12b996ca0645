import { describe, expect, it } from 'vitest';
import { endGeneration, newGeneration, watchEnd } from './generation-end';

describe('generation end', () => {
  it('rejects every watcher with the reason when the generation ends', async () => {
    const end = newGeneration();
    const a = watchEnd(end);
    const b = watchEnd(end);
    endGeneration(end, new Error('replaced'));
    await expect(a.promise).rejects.toThrow('replaced');
    await expect(b.promise).rejects.toThrow('replaced');
    expect(end.mourners.size).toBe(0);
  });

  it('keeps nothing of a watcher once it is released, so a long-lived worker does not pile up racers', async () => {
    const end = newGeneration();
    for (let i = 0; i < 1000; i++) {
      const watch = watchEnd(end);
      await Promise.race([Promise.resolve(i), watch.promise]);
      watch.release();
    }
    expect(end.mourners.size).toBe(0);
  });

  it('rejects a watcher made after the end at once, with the first reason', async () => {
    const end = newGeneration();
    endGeneration(end, new Error('closed'));
    endGeneration(end, new Error('again'));
    await expect(watchEnd(end).promise).rejects.toThrow('closed');
  });
});
