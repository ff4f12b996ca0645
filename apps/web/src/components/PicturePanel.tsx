// The picture the job this tab serves is making (a demo that publishes its results): the tiles validated so
// far, read from the coordinator every few seconds, and this tab's own tiles the moment it computes them,
// outlined. Loaded only when such a job is served, so the page's own script does not carry it.
import { useCallback, useEffect, useRef, useState } from 'react';
import { TileCanvas } from '../mosaic/canvas';
import { readPublished } from '../mosaic/published';
import { tileOf, tileSide, tileValues } from '../mosaic/tiles';
import type { Session } from '../session';

const POLL_MS = 5000;
const PAGE = 200;

export default function PicturePanel({
  session,
  job,
  name,
  active,
}: {
  session: Session;
  job: string;
  name: string;
  active: boolean;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [counts, setCounts] = useState({ tiles: 0, own: 0 });
  const [problem, setProblem] = useState<string | null>(null);
  // One picture per job: App gives each job its own panel (key), so this state never mixes two.
  const state = useRef({ painter: null as TileCanvas | null, tiles: new Set<string>(), own: new Set<string>() });

  const paint = useCallback(
    (workUnit: string, x: number, y: number, side: number, values: Float32Array, own: boolean) => {
      const s = state.current;
      if (!canvas.current) return;
      // 16 pixels a tile: the demo's 80 × 60 tiles make a 1280 × 960 picture.
      s.painter ??= new TileCanvas(canvas.current, 16);
      if (own) s.own.add(workUnit);
      s.painter.paint({ x, y }, side, values, s.own.has(workUnit));
      s.tiles.add(`${x},${y}`);
      setCounts({ tiles: s.tiles.size, own: s.own.size });
    },
    [],
  );

  useEffect(
    () =>
      session.onOwnResult((r) => {
        const position = tileOf(r.tag);
        const side = tileSide(r.output.length);
        if (r.job === job && position && side)
          paint(r.workUnit, position.x, position.y, side, tileValues(r.output), true);
      }),
    [session, job, paint],
  );

  useEffect(() => {
    if (!active) return;
    let cursor = 0;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const poll = async () => {
      try {
        for (;;) {
          const page = await readPublished(session.base, job, cursor, PAGE);
          if (stopped) return;
          cursor = page.cursor;
          for (const t of page.tiles) paint(t.workUnit, t.position.x, t.position.y, t.side, t.values, false);
          if (page.caughtUp) break;
        }
        setProblem(null);
      } catch (e) {
        setProblem((e as Error).message);
      }
      if (!stopped) timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [session, job, active, paint]);

  const label = `The picture “${name}” is making: ${counts.tiles.toLocaleString('en')} tiles so far, ${counts.own.toLocaleString('en')} of them computed by this tab (outlined).`;
  return (
    <section
      className="card picture"
      aria-labelledby="picture-h"
      data-testid="picture"
      data-tiles={counts.tiles}
      data-own={counts.own}
    >
      <h2 id="picture-h">The picture</h2>
      <canvas ref={canvas} role="img" aria-label={label} />
      <p className="muted small">
        {label} A tile shows once this tab computes it, or once the coordinator has accepted a result for it; grey ones
        are still to come.
      </p>
      {problem && <p className="muted small">{problem}</p>}
    </section>
  );
}
