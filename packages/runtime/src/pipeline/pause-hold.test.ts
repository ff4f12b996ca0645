import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { PauseHold } from './pause-hold';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

it('gives back once a pause has lasted its hold, timed from the first begin', () => {
  const given: number[] = [];
  const hold = new PauseHold(1000, () => given.push(Date.now()));
  const start = Date.now();
  hold.begin();
  vi.advanceTimersByTime(600);
  // A second pause reason while paused does not restart the hold.
  hold.begin();
  vi.advanceTimersByTime(399);
  expect(given).toEqual([]);
  expect(hold.gaveBack).toBe(false);
  vi.advanceTimersByTime(1);
  expect(given).toEqual([start + 1000]);
  expect(hold.gaveBack).toBe(true);
});

it('keeps what is held through a pause that ends first, and holds afresh on the next', () => {
  let given = 0;
  const hold = new PauseHold(1000, () => given++);
  hold.begin();
  vi.advanceTimersByTime(900);
  hold.end();
  hold.begin();
  vi.advanceTimersByTime(900);
  expect(given).toBe(0);
  vi.advanceTimersByTime(100);
  expect(given).toBe(1);
});

it('forgets that it gave back once the pause ends, and gives back nothing after a stop', () => {
  let given = 0;
  const hold = new PauseHold(1000, () => given++);
  hold.begin();
  vi.advanceTimersByTime(1000);
  expect(hold.gaveBack).toBe(true);
  hold.end();
  expect(hold.gaveBack).toBe(false);
  // Stopped while a hold runs: nothing fires later.
  hold.begin();
  hold.end();
  vi.advanceTimersByTime(5000);
  expect(given).toBe(1);
});
