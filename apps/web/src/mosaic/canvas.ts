// A canvas that an image grows on, tile by tile: it widens and deepens as tiles further out arrive (the
// page does not know the frame's size beforehand), keeping what it already shows, and can mark tiles.
// Tiles may be drawn smaller than they are (`display` pixels a side): the demo's 4,800 tiles of 64² at full
// size would make a 5120 × 3840 canvas, 79 MB of pixels in the page.
import { type TilePosition, tilePixels } from './tiles';

export class TileCanvas {
  readonly #canvas: HTMLCanvasElement;
  readonly #display: number | null;
  #scratch: HTMLCanvasElement | null = null;
  /** Pixels a tile takes on the canvas. */
  #cell = 0;
  #columns = 0;
  #rows = 0;

  constructor(canvas: HTMLCanvasElement, display: number | null = null) {
    this.#canvas = canvas;
    this.#display = display;
  }

  get size(): { columns: number; rows: number } {
    return { columns: this.#columns, rows: this.#rows };
  }

  /** Paints a tile; `mark` outlines it (the volunteer page marks the tiles its own tab computed). */
  paint(position: TilePosition, side: number, values: Float32Array, mark = false): void {
    const cell = this.#display === null ? side : Math.min(side, this.#display);
    if (this.#cell !== cell) this.#reset(cell);
    this.#grow(position.x + 1, position.y + 1);
    const context = this.#canvas.getContext('2d');
    if (!context) return;
    const pixels = new ImageData(tilePixels(values, side), side, side);
    const x = position.x * cell;
    const y = position.y * cell;
    if (cell === side) context.putImageData(pixels, x, y);
    else {
      this.#scratch ??= document.createElement('canvas');
      this.#scratch.width = side;
      this.#scratch.height = side;
      this.#scratch.getContext('2d')?.putImageData(pixels, 0, 0);
      context.imageSmoothingQuality = 'high';
      context.drawImage(this.#scratch, x, y, cell, cell);
    }
    if (mark) {
      context.strokeStyle = 'rgba(255, 255, 255, 0.95)';
      context.lineWidth = Math.max(1, Math.round(cell / 16));
      const inset = context.lineWidth / 2;
      context.strokeRect(x + inset, y + inset, cell - 2 * inset, cell - 2 * inset);
    }
  }

  #reset(cell: number): void {
    this.#cell = cell;
    this.#columns = 0;
    this.#rows = 0;
    this.#canvas.width = 0;
    this.#canvas.height = 0;
  }

  #grow(columns: number, rows: number): void {
    if (columns <= this.#columns && rows <= this.#rows) return;
    const old = document.createElement('canvas');
    old.width = this.#canvas.width;
    old.height = this.#canvas.height;
    if (old.width > 0 && old.height > 0) old.getContext('2d')?.drawImage(this.#canvas, 0, 0);
    this.#columns = Math.max(columns, this.#columns);
    this.#rows = Math.max(rows, this.#rows);
    this.#canvas.width = this.#columns * this.#cell;
    this.#canvas.height = this.#rows * this.#cell;
    const context = this.#canvas.getContext('2d');
    if (!context) return;
    // Tiles not yet computed show grey, so the gaps read as "still to come".
    context.fillStyle = '#7a7f87';
    context.fillRect(0, 0, this.#canvas.width, this.#canvas.height);
    if (old.width > 0 && old.height > 0) context.drawImage(old, 0, 0);
  }
}
