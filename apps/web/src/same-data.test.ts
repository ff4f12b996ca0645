import { describe, expect, it } from 'vitest';
import { sameData } from './same-data';

describe('sameData', () => {
  it('holds nested plain data built twice the same', () => {
    const make = () => ({ phase: 'computing', counts: { leased: 3, done: [1, 2] }, last: null, rate: Number.NaN });
    expect(sameData(make(), make())).toBe(true);
    expect(sameData([make(), make()], [make(), make()])).toBe(true);
  });

  it('tells apart a changed leaf, a missing key, an extra key and a longer array', () => {
    const base = { a: 1, b: { c: [1, 2] } };
    expect(sameData(base, { a: 1, b: { c: [1, 3] } })).toBe(false);
    expect(sameData(base, { a: 1 })).toBe(false);
    expect(sameData(base, { a: 1, b: { c: [1, 2] }, d: undefined })).toBe(false);
    expect(sameData(base, { a: 1, b: { c: [1, 2, 3] } })).toBe(false);
    expect(sameData({ a: undefined }, { b: undefined })).toBe(false);
  });

  it('does not take an array for an object with the same indices, nor null for an empty object', () => {
    expect(sameData([1], { 0: 1 })).toBe(false);
    expect(sameData({ 0: 1 }, [1])).toBe(false);
    expect(sameData(null, {})).toBe(false);
  });

  it('compares anything not plain by identity', () => {
    const bytes = new Uint8Array([1, 2]);
    expect(sameData(bytes, bytes)).toBe(true);
    expect(sameData(bytes, new Uint8Array([1, 2]))).toBe(false);
    expect(sameData(new Date(0), new Date(0))).toBe(false);
  });
});
