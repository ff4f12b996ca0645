// The picture a job's results make, filled in tile by tile as they are validated.
import { forwardRef, useImperativeHandle, useRef } from 'react';
import { TileCanvas } from '../../mosaic/canvas';
import type { Tile } from '../watch';

export interface MosaicHandle {
  paint(tiles: readonly Tile[]): void;
}

/** Mounted from the start (hidden until the job turns out to make an image), so no tile arrives before it. */
export const Mosaic = forwardRef<MosaicHandle, { tiles: number; total: number | null; shown: boolean }>(function Mosaic(
  { tiles, total, shown },
  ref,
) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const painter = useRef<TileCanvas | null>(null);
  useImperativeHandle(ref, () => ({
    paint(list) {
      if (!canvas.current) return;
      // At most 32 pixels a tile: the demo's 80 × 60 tiles then make a 2560 × 1920 picture.
      painter.current ??= new TileCanvas(canvas.current, 32);
      for (const t of list) painter.current.paint(t.position, t.side, t.values);
    },
  }));
  const label = `The image the validated results make: ${tiles.toLocaleString('en')}${total === null ? '' : ` of ${total.toLocaleString('en')}`} tiles so far.`;
  return (
    <figure className="mosaic" data-testid="mosaic" data-tiles={tiles} hidden={!shown}>
      <canvas ref={canvas} role="img" aria-label={label} />
      <figcaption className="muted small">
        {label}
        {total !== null && tiles < total
          ? ' It grows as tiles further out arrive; grey tiles inside it are still to come.'
          : ''}
      </figcaption>
    </figure>
  );
});
