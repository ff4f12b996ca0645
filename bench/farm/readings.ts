// What the farm benchmark reads off the tabs, their processes, the coordinator and the machine, and the shares
// of the machine's CPU between two readings; with the rounding and formatting the sweep and the soak share.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Tab } from '@bricolage/farm';
import { allProcesses, treeUsage } from '../../apps/farm/src/procstats';
import { browserProcesses, threadCpu, topDeltas } from './breakdown';
import type { Grid } from './grid';

export const CORES = availableParallelism();

export interface TabReading {
  readonly computed: number;
  readonly computeMs: number;
  readonly wallMs: number;
  readonly cpu: number;
  readonly pss: number;
}

export interface Reading {
  readonly t: number;
  readonly computed: number;
  readonly validatedWUs: number;
  readonly coordinatorCpu: number;
  readonly harnessCpu: number;
  readonly machineCpu: number;
  /** CPU seconds by browser process type and thread name, all tabs together. */
  readonly threads: ReadonlyMap<string, number>;
  readonly tabs: readonly TabReading[];
}

/** CPU seconds the whole machine has been busy (all cores, /proc/stat), to tell other work on it apart. */
function machineBusySeconds(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
  const busy = cpu.slice(0, 8).reduce((n, x, i) => (i === 3 || i === 4 ? n : n + x), 0);
  return busy / 100; // USER_HZ
}

/** The tabs as of their last poll, their processes and the coordinator's as of now. */
export function read(tabs: readonly Tab[], grid: Grid, validatedWUs: number): Reading {
  const procs = allProcesses();
  const harness = process.cpuUsage();
  return {
    t: performance.now() / 1000,
    computed: tabs.reduce((n, t) => n + (t.snapshot?.computed ?? 0), 0),
    validatedWUs,
    coordinatorCpu: grid.cpuSeconds(),
    harnessCpu: (harness.user + harness.system) / 1e6,
    machineCpu: machineBusySeconds(),
    threads: threadCpu(browserProcesses(tabs.map((t) => t.profile))),
    tabs: tabs.map((t) => {
      const usage = treeUsage(t.profile, procs);
      return {
        computed: t.snapshot?.computed ?? 0,
        computeMs: t.snapshot?.computeMs ?? 0,
        wallMs: t.snapshot?.wallMs ?? 0,
        cpu: usage.cpuSeconds,
        pss: usage.rssBytes / 2 ** 20,
      };
    }),
  };
}

/** Shares of the whole machine's CPU between two readings. */
export function shares(start: Reading, end: Reading) {
  const seconds = (end.t - start.t) * CORES;
  const browsers = end.tabs.reduce((n, e, i) => n + e.cpu - (start.tabs[i]?.cpu ?? 0), 0);
  const coordinator = end.coordinatorCpu - start.coordinatorCpu;
  const harness = end.harnessCpu - start.harnessCpu;
  const other = Math.max(0, end.machineCpu - start.machineCpu - browsers - coordinator - harness);
  return {
    browser_cpu_share: r3(browsers / seconds),
    coordinator_cpu_share: r3(coordinator / seconds),
    harness_cpu_share: r3(harness / seconds),
    other_cpu_share: r3(other / seconds),
    cpu_by_thread: topDeltas(start.threads, end.threads, seconds),
  };
}

export const r3 = (x: number) => Math.round(x * 1000) / 1000;
export const r1 = (x: number) => Math.round(x * 10) / 10;

export const pct = (share: number) => `${(share * 100).toFixed(0)}%`;

export const threadList = (shares: Readonly<Record<string, number>>) =>
  Object.entries(shares)
    .map(([key, share]) => `${key} ${pct(share)}`)
    .join(', ');
