// `npm run bench:demo [-- --every 60] [--json]`: how long the seeded demo keeps one tab busy. A tab alone
// computes every tile of DEMO_FRAME once (a second replica always goes to another volunteer), so it is busy
// for tiles × time per tile. This computes a uniform sample of the frame (every Nth tile) with the wasm twin,
// one thread as in a tab's worker, and reports CPU time (what an idle core would take) and wall time (what
// this machine takes now) per tile, and both extrapolated to the whole frame.
import { parseArgs } from 'node:util';
import { DEMO_FRAME } from '@bricolage/coordinator';
import { compileAbi, mandelbrot, runAbi } from '@bricolage/workloads';
import { readWasm } from '@bricolage/workloads/node';

const { values: args } = parseArgs({
  options: { every: { type: 'string', default: '60' }, json: { type: 'boolean', default: false } },
});
const every = Math.max(1, Number(args.every));
const module = compileAbi(readWasm('mandelbrot'));
const tiles = [...mandelbrot.workUnits(DEMO_FRAME)];
// The middle of each stretch of `every` tiles, so the sample spreads over the whole frame.
const sample = tiles.filter((_, i) => i % every === Math.floor(every / 2));

const walls: number[] = [];
const cpuBefore = process.cpuUsage();
for (const tile of sample) {
  const started = performance.now();
  runAbi(module, tile.input);
  walls.push(performance.now() - started);
}
const cpu = process.cpuUsage(cpuBefore);
const cpuMs = (cpu.user + cpu.system) / 1000 / sample.length;
const wallMs = walls.reduce((a, b) => a + b, 0) / sample.length;
walls.sort((a, b) => a - b);
const figures = {
  tiles: tiles.length,
  sampled: sample.length,
  cpu_ms_per_tile: Math.round(cpuMs),
  wall_ms_per_tile: Math.round(wallMs),
  wall_min_ms: Math.round(walls[0] ?? 0),
  wall_max_ms: Math.round(walls.at(-1) ?? 0),
  one_tab_hours_idle_core: +((cpuMs * tiles.length) / 3.6e6).toFixed(2),
  one_tab_hours_now: +((wallMs * tiles.length) / 3.6e6).toFixed(2),
};
console.log(
  `DEMO_FRAME: ${figures.tiles} tiles; a sample of ${figures.sampled} (every ${every}th) took ${figures.cpu_ms_per_tile} ms of CPU a tile (${figures.wall_ms_per_tile} ms wall, ${figures.wall_min_ms}–${figures.wall_max_ms})`,
);
console.log(
  `one tab alone: ${figures.one_tab_hours_idle_core} h on an idle core, ${figures.one_tab_hours_now} h at this machine's load now`,
);
if (args.json) console.log(JSON.stringify(figures));
