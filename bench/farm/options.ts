// The farm benchmark's command line (run.ts says what it takes), read and checked before any grid or browser
// starts, and what the sweep and the soak take from it.
import { parseArgs } from 'node:util';
import { type FarmOptions, findChromium } from '@bricolage/farm';
import type { Grid } from './grid';
import { benchFarmOptions } from './tabs';

const parse = () =>
  parseArgs({
    options: {
      tabs: { type: 'string', default: '1,2,4,8,16' },
      /**
       * Validated results measured per point (as `npm run farm -- --wus` counts them: half as many work units at
       * quorum 2), from the moment every tab is computing.
       */
      wus: { type: 'string', default: '1200' },
      segment: { type: 'string', default: '2^24' },
      throttle: { type: 'string', default: '100' },
      'point-timeout': { type: 'string', default: '10m' },
      soak: { type: 'string' },
      'soak-tabs': { type: 'string', default: '16' },
      /**
       * How long the soak runs, once every tab computes, before its measured window (`--soak`) starts. It covers
       * what Chromium starts late on its own: an on-device-model service ≈ 3 minutes after launch that no
       * switch of this build turns off (see BENCHMARKS.md).
       */
      'soak-warmup': { type: 'string', default: '4m' },
      /** Only the soak, no sweep. */
      'soak-only': { type: 'boolean', default: false },
      /**
       * Collect garbage in every page before each soak sample, so that the soak measures what the pages retain
       * rather than when V8 chose to collect (it postpones collection on a machine with no idle time).
       */
      'soak-gc': { type: 'boolean', default: false },
      /** How often the farm has each tab collect its garbage (its --collect-every; 0 never). */
      'collect-every': { type: 'string', default: '1m' },
      chromium: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  }).values;

export type FarmBenchArgs = ReturnType<typeof parse>;

export interface FarmBench {
  readonly args: FarmBenchArgs;
  /** Integers per work unit (`--segment`), and as it is shown (2^24). */
  readonly segment: number;
  readonly segmentLabel: string;
  /** Validated results measured per point (`--wus`). */
  readonly results: number;
  /** The farm sizes the sweep measures, in order; none with --soak-only. */
  readonly sweep: readonly number[];
  readonly soakWarmupS: number;
  readonly collectEveryMs: number;
  readonly farmOptions: (grid: Grid, tabs: number) => FarmOptions;
  readonly log: (line: string) => void;
  readonly warn: (line: string) => void;
}

export function duration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`bad duration: ${text} (e.g. 90s, 10m)`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
}

function integers(text: string): number {
  const m = /^2\^(\d+)$/.exec(text.trim());
  return m ? 2 ** Number(m[1]) : Number(text);
}

/** Reads the command line; throws on what it cannot run with, before anything starts. */
export function readFarmBench(): FarmBench {
  const args = parse();
  // With --json the figures still go out as they come, on stderr, so that stdout ends with the JSON line alone.
  const log = (line: string) => (args.json ? console.error(line) : console.log(line));
  const warn = (line: string) => console.error(line);
  const browser = findChromium(args.chromium);
  if (!browser.ok) throw new Error(browser.message);
  const segment = integers(args.segment);
  const results = Number(args.wus);
  const sweep = args['soak-only'] ? [] : args.tabs.split(',').map(Number);
  if (!(results >= 2) || results % 2 !== 0) throw new Error('--wus must be an even number of results (quorum 2)');
  if (sweep.some((n) => !Number.isInteger(n) || n < 1 || n > 64)) throw new Error('--tabs takes integers 1–64');
  if (!Number.isInteger(segment) || segment < 1) throw new Error('--segment takes a number of integers, e.g. 2^24');
  const soakWarmupS = duration(args['soak-warmup']) / 1000;
  const segmentLabel = Number.isInteger(Math.log2(segment)) ? `2^${Math.log2(segment)}` : String(segment);
  const collectEveryMs = duration(args['collect-every']);
  const farmOptions = (grid: Grid, tabs: number): FarmOptions =>
    benchFarmOptions(grid, tabs, browser.path, Number(args.throttle), collectEveryMs);
  return { args, segment, segmentLabel, results, sweep, soakWarmupS, collectEveryMs, farmOptions, log, warn };
}
