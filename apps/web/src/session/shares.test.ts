import { describe, expect, it } from 'vitest';
import { dutyShares } from './shares';

describe('dutyShares', () => {
  it('splits the throttle between busy grids in proportion to their shares', () => {
    const duties = dutyShares(0.9, [
      { id: 'home', share: 100, busy: true },
      { id: 'b', share: 200, busy: true },
    ]);
    expect(duties.get('home')).toBeCloseTo(0.3);
    expect(duties.get('b')).toBeCloseTo(0.6);
  });

  it('gives the time of a grid without work to the busy ones', () => {
    const duties = dutyShares(1, [
      { id: 'home', share: 100, busy: true },
      { id: 'b', share: 100, busy: false },
      { id: 'c', share: 300, busy: true },
    ]);
    expect(duties.get('home')).toBeCloseTo(0.25);
    expect(duties.get('c')).toBeCloseTo(0.75);
    // The idle grid keeps its part of all the shares, ready for when work comes.
    expect(duties.get('b')).toBeCloseTo(0.2);
  });

  it('gives one busy grid the whole throttle, and idle grids their part of all shares', () => {
    const duties = dutyShares(0.5, [
      { id: 'home', share: 100, busy: false },
      { id: 'b', share: 100, busy: true },
    ]);
    expect(duties.get('b')).toBeCloseTo(0.5);
    expect(duties.get('home')).toBeCloseTo(0.25);
  });

  it('never gives busy grids together more than the throttle', () => {
    const grids = [1, 7, 13, 100, 250].map((share, i) => ({ id: String(i), share, busy: i % 2 === 0 }));
    const duties = dutyShares(0.8, grids);
    const busy = grids.filter((g) => g.busy).reduce((sum, g) => sum + (duties.get(g.id) ?? 0), 0);
    expect(busy).toBeCloseTo(0.8);
  });

  it('gives nothing to a share of 0 or one that is not a number', () => {
    const duties = dutyShares(1, [
      { id: 'home', share: 100, busy: true },
      { id: 'zero', share: 0, busy: true },
      { id: 'nan', share: Number.NaN, busy: true },
    ]);
    expect(duties.get('home')).toBe(1);
    expect(duties.get('zero')).toBe(0);
    expect(duties.get('nan')).toBe(0);
  });
});
