import { describe, expect, it } from 'vitest';
import { MAX_UNITS, UnitWindow, WINDOW_MS } from './unit-window';

describe('unit window', () => {
  it('is empty until a unit is added', () => {
    expect(new UnitWindow().mean()).toBeNull();
  });

  it('averages the most recent units that make up the window, whatever came before', () => {
    const window = new UnitWindow();
    for (let i = 0; i < 100; i++) window.add(10);
    // 60 units of 1 s: only the last 30 s of work count, the cheap units before them are gone.
    for (let i = 0; i < 60; i++) window.add(1000);
    expect(window.mean()).toBeCloseTo(1000, 6);
    // One unit longer than the window is the window.
    window.add(2 * WINDOW_MS);
    expect(window.mean()).toBe(2 * WINDOW_MS);
  });

  it('mixes cheap and dear units by how many of each the window holds', () => {
    const window = new UnitWindow();
    for (let i = 0; i < 20; i++) window.add(1000);
    for (let i = 0; i < 10; i++) window.add(100);
    expect(window.mean()).toBeCloseTo(21_000 / 30, 6);
  });

  it('keeps at most MAX_UNITS of fast units, and stays right across its compaction', () => {
    const window = new UnitWindow();
    for (let i = 0; i < 5 * MAX_UNITS; i++) window.add(i % 2 === 0 ? 0.2 : 0.4);
    expect(window.mean()).toBeCloseTo(0.3, 9);
    for (let i = 0; i < MAX_UNITS; i++) window.add(1);
    expect(window.mean()).toBeCloseTo(1, 9);
  });
});
