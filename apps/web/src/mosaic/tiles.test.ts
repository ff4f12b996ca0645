import { describe, expect, it } from 'vitest';
import { colour, tileOf, tilePixels, tileSide } from './tiles';

describe('tiles', () => {
  it('reads a tile position from the end of a tag', () => {
    expect(tileOf('mandelbrot:12,3')).toEqual({ x: 12, y: 3 });
    expect(tileOf('tile_0,7')).toEqual({ x: 0, y: 7 });
    expect(tileOf('mandelbrot:12,3:known')).toBeNull();
    expect(tileOf('segment 1,000,000')).toBeNull();
    expect(tileOf(null)).toBeNull();
  });

  it('knows a square of f32 values by its size', () => {
    expect(tileSide(64 * 64 * 4)).toBe(64);
    expect(tileSide(48)).toBeNull();
    expect(tileSide(6)).toBeNull();
  });

  it('paints inside points black and the same value the same colour', () => {
    expect(colour(-1)).toEqual([0, 0, 0]);
    expect(colour(1234.5)).toEqual(colour(1234.5));
    const px = tilePixels(new Float32Array([-1, 10, 10, 3]), 2);
    expect([...px.slice(0, 4)]).toEqual([0, 0, 0, 255]);
    expect([...px.slice(4, 8)]).toEqual([...px.slice(8, 12)]);
    expect([...px.slice(4, 8)]).not.toEqual([...px.slice(12, 16)]);
  });
});
