// CPU time and memory of a Chromium instance and its children, read from /proc (Linux).
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcessUsage {
  readonly pids: number;
  /** user + system CPU seconds of every process in the tree. */
  readonly cpuSeconds: number;
  /** Proportional set size: shared pages split among the processes sharing them, so a sum means something. */
  readonly rssBytes: number;
}

const TICKS = 100; // USER_HZ on Linux
const PAGE = 4096;

interface Proc {
  pid: number;
  ppid: number;
  cpu: number;
  rss: number;
  cmdline: string;
}

function readProc(pid: number): Proc | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return {
      pid,
      ppid: Number(fields[1]),
      cpu: (Number(fields[11]) + Number(fields[12])) / TICKS,
      rss: Number(fields[21]) * PAGE,
      cmdline,
    };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ESRCH') return null;
    throw e;
  }
}

/** Pss in bytes from /proc/PID/smaps_rollup, or null when the process is gone or the file is missing. */
function pss(pid: number): number | null {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ESRCH') return null;
    throw e;
  }
}

export function allProcesses(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = readProc(Number(name));
    if (p) out.push(p);
  }
  return out;
}

/** The browser processes whose command line names `marker` (a profile directory), and all their descendants. */
export function treeUsage(marker: string, procs: readonly Proc[] = allProcesses()): ProcessUsage {
  const roots = procs.filter((p) => p.cmdline.includes(marker));
  const members = new Set(roots.map((p) => p.pid));
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of procs) {
      if (!members.has(p.pid) && members.has(p.ppid)) {
        members.add(p.pid);
        grew = true;
      }
    }
  }
  let cpuSeconds = 0;
  let rssBytes = 0;
  for (const p of procs) {
    if (!members.has(p.pid)) continue;
    cpuSeconds += p.cpu;
    rssBytes += pss(p.pid) ?? p.rss;
  }
  return { pids: members.size, cpuSeconds, rssBytes };
}

/** Processes still running whose command line names `marker`: what a clean shutdown must leave none of. */
export function survivors(marker: string): number[] {
  return allProcesses()
    .filter((p) => p.cmdline.includes(marker) && !p.cmdline.includes('procstats'))
    .map((p) => p.pid);
}
