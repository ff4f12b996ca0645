// Node only (through `@bricolage/workloads/node`): pages of known text drawn by ImageMagick with a Debian
// font (fonts-dejavu), the ground truth against which OCR is measured.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { textLines } from './corpus';

export interface RenderedPage {
  /** A grey 8-bit PNG. */
  readonly png: Uint8Array;
  /** The page's lines, top to bottom. */
  readonly lines: readonly string[];
}

export const PAGE_WIDTH = 640;
export const PAGE_HEIGHT = 640;
export const LINES_PER_PAGE = 10;
const FONT = 'DejaVu-Sans';
const POINT_SIZE = 20;
const MARGIN = 40;
const LINE_PITCH = 52;

export interface TextLayout {
  /** The image's size in pixels. */
  readonly width: number;
  readonly height: number;
  /** The type's size in points at `dpi` (at 72 dpi a point is a pixel). */
  readonly pointSize: number;
  readonly dpi: number;
  /** The first line's left edge and top margin, and the distance between baselines, in pixels. */
  readonly margin: number;
  readonly linePitch: number;
}

/** Lines drawn in black on white, one below the other, as `layout` places them. */
export function renderText(lines: readonly string[], layout: TextLayout): RenderedPage {
  const { width, height, pointSize, dpi, margin, linePitch } = layout;
  const dir = mkdtempSync(join(tmpdir(), 'bricolage-ocr-'));
  try {
    const out = join(dir, 'page.png');
    const em = Math.round((pointSize * dpi) / 72);
    const args = ['-size', `${width}x${height}`, 'xc:white', '-density', String(dpi), '-font', FONT];
    args.push('-pointsize', String(pointSize), '-fill', 'black');
    lines.forEach((line, i) => {
      // ImageMagick reads % and \\ in text as escapes and a leading @ as a file (Debian's policy refuses it);
      // the corpus has none of them, and a line that did would be drawn other than its ground truth.
      if (/[%@\\]/.test(line)) throw new Error(`a line ImageMagick would not draw as written: ${line}`);
      args.push('-annotate', `+${margin}+${margin + em + i * linePitch}`, line);
    });
    args.push('-colorspace', 'Gray', '-depth', '8', `PNG8:${out}`);
    execFileSync('convert', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    return { png: new Uint8Array(readFileSync(out)), lines };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Page `index` of the seed's book: LINES_PER_PAGE lines of textLines on a PAGE_WIDTH × PAGE_HEIGHT page. */
export function renderPage(seed: number, index: number): RenderedPage {
  return renderText(textLines((seed * 7919 + index) >>> 0, LINES_PER_PAGE), {
    width: PAGE_WIDTH,
    height: PAGE_HEIGHT,
    pointSize: POINT_SIZE,
    dpi: 72,
    margin: MARGIN,
    linePitch: LINE_PITCH,
  });
}
