// A line chart over time (uPlot, drawn on a canvas): sized to its container, fed new points as they come.
// The canvas is hidden from assistive technology; the figure's caption states the figure in words.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';

const clock = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export interface ChartProps {
  readonly title: string;
  /** The latest value in words, shown under the chart and read by screen readers. */
  readonly summary: string;
  /** Seconds since the epoch. */
  readonly times: readonly number[];
  readonly values: readonly (number | null)[];
  readonly unit: string;
  readonly colour: string;
  readonly testId: string;
  /** False when there is nothing to draw (no run watched): the caption alone, no empty axes. */
  readonly drawn?: boolean;
}

export function Chart({ title, summary, times, values, unit, colour, testId, drawn = true }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const target = box.current;
    if (!drawn || !target) return;
    // The box's own width, however narrow (a floor wider than the card scrolls the page sideways at 320 px);
    // 240 only before it is laid out, until the ResizeObserver says.
    const width = () => target.clientWidth || 240;
    const chart = new uPlot(
      {
        width: width(),
        height: 180,
        legend: { show: false },
        cursor: { show: false },
        scales: {
          // At least the last minute, so the first seconds of a job do not read as a millisecond axis.
          x: { time: true, range: (_u, min, max) => [Math.min(min, max - 60), max] },
          y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
        },
        axes: [
          {
            stroke: 'currentColor',
            grid: { stroke: 'rgba(128,128,128,0.2)' },
            // One line of wall-clock time per tick: uPlot's default adds a date line that collides with it.
            space: 70,
            values: (_u, ticks) => ticks.map((t) => clock.format(t * 1000)),
          },
          { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.2)' }, label: unit, size: 60 },
        ],
        series: [{}, { label: title, stroke: colour, width: 2, fill: `${colour}22`, spanGaps: true }],
      },
      [[], []],
      target,
    );
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: width(), height: 180 }));
    resize.observe(target);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [title, unit, colour, drawn]);

  useEffect(() => {
    plot.current?.setData([times as number[], values as (number | null)[]]);
  }, [times, values]);

  return (
    <figure className="chart" data-testid={testId} data-points={drawn ? times.length : 0} data-drawn={drawn}>
      <figcaption>
        <strong>{title}</strong> <span data-testid={`${testId}-summary`}>{summary}</span>
      </figcaption>
      {drawn && <div ref={box} aria-hidden="true" />}
    </figure>
  );
}
