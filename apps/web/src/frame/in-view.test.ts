import { describe, expect, it } from 'vitest';
import { mayPress, sightOf } from './in-view';

describe('sightOf', () => {
  it('tells a Start cut off by the viewport from one the host covers, fades or transforms', () => {
    expect(sightOf({ intersectionRatio: 1, isVisible: true })).toBe('seen');
    expect(sightOf({ intersectionRatio: 0.6, isVisible: false })).toBe('out-of-view');
    expect(sightOf({ intersectionRatio: 0, isVisible: false })).toBe('out-of-view');
    expect(sightOf({ intersectionRatio: 1, isVisible: false })).toBe('obscured');
  });
});

describe('mayPress', () => {
  it('obeys a press only on a Start seen, or where the browser cannot tell', () => {
    expect(mayPress('seen')).toBe(true);
    expect(mayPress('unknown')).toBe(true);
    expect(mayPress('checking')).toBe(false);
    expect(mayPress('out-of-view')).toBe(false);
    expect(mayPress('obscured')).toBe(false);
  });
});
