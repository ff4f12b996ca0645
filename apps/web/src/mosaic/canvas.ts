// A canvas that an image grows on, tile by tile: it widens and deepens as tiles further out arrive (the
// page does not know the frame's size beforehand), keeping what it already shows, and can mark tiles.
import { type TilePosition, tilePixels } from './tiles';

export class TileCanvas {
  readonly #canvas: HTMLCanvasElement;
  #side = 0;
  #columns = 0;
  #rows = 0;

  constructor(canvas: HTMLCanvasElement) {
    this.#canvas = canvas;
  }

  get size(): { columns: number; rows: number } {
    return { columns: this.#columns, rows: this.#rows };
  }

  /** Paints a tile; `mark` outlines it (the volunteer page marks the tiles its own tab computed). */
  paint(position: TilePosition, side: number, values: Float32Array, mark = false): void {
    if (this.#side !== side) this.#reset(side);
    this.#grow(position.x + 1, position.y + 1);
    const context = this.#canvas.getContext('2d');
    if (!context) return;
    context.putImageData(new ImageData(tilePixels(values, side), side, side), position.x * side, position.y * side);
    if (mark) {
      context.strokeStyle = 'rgba(255, 255, 255, 0.9)';
      context.lineWidth = Math.max(2, side / 16);
      const inset = context.lineWidth / 2;
      context.strokeRect(position.x * side + inset, position.y * side + inset, side - 2 * inset, side - 2 * inset);
    }
  }

  #reset(side: number): void {
    this.#side = side;
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
    this.#canvas.width = this.#columns * this.#side;
    this.#canvas.height = this.#rows * this.#side;
    const context = this.#canvas.getContext('2d');
    if (!context) return;
    // Tiles not yet computed show grey, so the gaps read as "still to come".
    context.fillStyle = '#7a7f87';
    context.fillRect(0, 0, this.#canvas.width, this.#canvas.height);
    if (old.width > 0 && old.height > 0) context.drawImage(old, 0, 0);
  }
}
