// Where the browsers' CPU and memory go: every process of the given browser trees by Chromium process type
// (`renderer`, `gpu-process`, `utility:NetworkService`, …) and every thread by type and name
// (`renderer/DedicatedWorker`, `browser/CrBrowserMain`, …), from /proc.
import { readFileSync, readdirSync } from 'node:fs';
import { allProcesses, browserTrees } from '../../apps/farm/src/procstats';

const TICKS = 100; // USER_HZ

export interface BrowserProcess {
  readonly pid: number;
  /** The Chromium process type, `browser` for the main process. */
  readonly kind: string;
}

/** The processes of the browsers using these profile directories, and their children. */
export function browserProcesses(profiles: readonly string[]): BrowserProcess[] {
  return browserTrees(profiles, allProcesses()).map((p) => {
    const type = /--type=(\S+)/.exec(p.cmdline)?.[1] ?? 'browser';
    const sub = /--utility-sub-type=(\S+)/.exec(p.cmdline)?.[1]?.split('.').at(-1);
    return { pid: p.pid, kind: sub ? `${type}:${sub}` : type };
  });
}

const gone = (e: unknown) => ['ENOENT', 'ESRCH'].includes((e as NodeJS.ErrnoException).code ?? '');

/** CPU seconds so far by `kind/thread name`. */
export function threadCpu(procs: readonly BrowserProcess[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of procs) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${p.pid}/task`);
    } catch (e) {
      if (gone(e)) continue;
      throw e;
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${p.pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, '');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const key = `${p.kind}/${name}`;
        out.set(key, (out.get(key) ?? 0) + (Number(fields[11]) + Number(fields[12])) / TICKS);
      } catch (e) {
        if (!gone(e)) throw e; // a thread may end between listing and reading
      }
    }
  }
  return out;
}

/**
 * Proportional set size in MB by process kind, and the same split by what backs it (`<kind>/anon`,
 * `<kind>/file`, `<kind>/shmem`): a process's own heaps are anonymous memory, while shared memory (the
 * renderer's buffers shared with the GPU process, IPC) and mapped files are counted apart, so a growth can be
 * told apart from one in the heaps. Reading smaps_rollup is not cheap: ~3 ms a process here.
 */
export function pssByKind(procs: readonly BrowserProcess[]): {
  total: Map<string, number>;
  parts: Map<string, number>;
} {
  const total = new Map<string, number>();
  const parts = new Map<string, number>();
  const add = (into: Map<string, number>, key: string, kb: string | undefined) =>
    into.set(key, (into.get(key) ?? 0) + Number(kb ?? 0) / 1024);
  for (const p of procs) {
    try {
      const rollup = readFileSync(`/proc/${p.pid}/smaps_rollup`, 'utf8');
      const field = (name: string) => new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1];
      const pss = field('Pss');
      if (pss === undefined) continue;
      add(total, p.kind, pss);
      add(parts, `${p.kind}/anon`, field('Pss_Anon'));
      add(parts, `${p.kind}/file`, field('Pss_File'));
      add(parts, `${p.kind}/shmem`, field('Pss_Shmem'));
    } catch (e) {
      if (!gone(e)) throw e;
    }
  }
  return { total, parts };
}

/** The biggest `count` growths between two readings keyed alike, divided by `per`. */
export function topDeltas(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
  per: number,
  count = 8,
): Record<string, number> {
  const deltas = [...after].map(([key, v]) => [key, Math.max(0, v - (before.get(key) ?? 0))] as const);
  deltas.sort((a, b) => b[1] - a[1]);
  return Object.fromEntries(deltas.slice(0, count).map(([key, v]) => [key, Math.round((v / per) * 1000) / 1000]));
}
