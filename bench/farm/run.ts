// `npm run bench:farm -- [--tabs 1,2,4,8,16] [--wus 1200] [--segment 2^24] [--soak 10m] [--soak-tabs 16]
// [--soak-only] [--soak-gc] [--collect-every 1m] [--json]`:
// headless farms of growing size on this machine, each point against a fresh child coordinator (so its CPU is
// its own) given a fixed amount of primes work once every tab is up; then, optionally, a long soak that
// samples the browsers' memory to show whether it grows. The sweep is sweep.ts, the soak soak.ts; options.ts
// reads the command line, and readings.ts what both measure.
import { duration, readFarmBench } from './options';
import { CORES } from './readings';
import { type SoakFigures, printSoak, soak } from './soak';
import { type PointFigures, point, printPoint, printTable } from './sweep';

const bench = readFarmBench();
const { args, results, segmentLabel, sweep, log } = bench;

log(
  `farm benchmark on ${CORES} cores: ${results} validated results of ${segmentLabel} integers per point ` +
    `(primes, quorum 2), tabs ${sweep.join(', ') || 'none'}${args.soak ? `; soak ${args.soak} × ${args['soak-tabs']} tabs` : ''}`,
);
const points: PointFigures[] = [];
for (const tabs of sweep) {
  log(`${tabs} tab(s):`);
  const f = await point(bench, tabs);
  printPoint(bench, f);
  points.push(f);
}
if (points.length > 1) printTable(bench, points);
let soaked: SoakFigures | null = null;
if (args.soak) {
  log('');
  log(`soak: ${args['soak-tabs']} tabs for ${args.soak}`);
  soaked = await soak(bench, Number(args['soak-tabs']), duration(args.soak));
  printSoak(bench, soaked);
}
if (args.json) console.log(JSON.stringify({ points, ...(soaked ? { soak: soaked } : {}) }));
