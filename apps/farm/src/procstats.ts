// CPU time and memory of a Chromium instance and its children, read from /proc (Linux). A browser is known
// by its profile directory, compared whole with its `--user-data-dir=` argument (every Chromium process of
// a profile carries it): a substring would take `…/tab-1` for `…/tab-10` too.
import { readFileSync, readdirSync } from 'node:fs';
import { resolve, sep } from 'node:path';

export interface ProcessUsage {
  readonly pids: number;
  /** user + system CPU seconds of every process in the tree. */
  readonly cpuSeconds: number;
  /** Proportional set size: shared pages split among the processes sharing them, so a sum means something. */
  readonly rssBytes: number;
}

const TICKS = 100; // USER_HZ on Linux
const PAGE = 4096;

export interface Proc {
  readonly pid: number;
  readonly ppid: number;
  /** The process group: a browser the farm starts leads its own, which its helpers join. */
  readonly pgrp: number;
  /** `Z` for a zombie: exited, not yet reaped, nothing left of it but its entry. */
  readonly state: string;
  readonly cpu: number;
  readonly rss: number;
  /** The arguments as given (an argument may contain spaces). */
  readonly argv: readonly string[];
  /** The arguments joined by spaces, for display and for reading flags like `--type=`. */
  readonly cmdline: string;
}

function readProc(pid: number): Proc | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (argv.at(-1) === '') argv.pop();
    return {
      pid,
      ppid: Number(fields[1]),
      pgrp: Number(fields[2]),
      state: fields[0] ?? '',
      cpu: (Number(fields[11]) + Number(fields[12])) / TICKS,
      rss: Number(fields[21]) * PAGE,
      argv,
      cmdline: argv.join(' '),
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

const USER_DATA_DIR = '--user-data-dir=';

/** The profile directory a process was started with (absolute), or null when it names none. */
export function profileOf(p: Proc): string | null {
  const arg = switchesOf(p).findLast((a) => a.startsWith(USER_DATA_DIR));
  return arg === undefined || arg.length === USER_DATA_DIR.length ? null : resolve(arg.slice(USER_DATA_DIR.length));
}

/**
 * A process's arguments. Chromium's child processes rewrite their command line as one space-joined string
 * (to set their title), so that one is cut before each ` --`: every Chromium switch starts with `--`, and a
 * switch's value may hold spaces (`--enable-crash-reporter=,built on Debian …`).
 */
function switchesOf(p: Proc): readonly string[] {
  return p.argv.length === 1 ? (p.argv[0] as string).split(/ (?=--)/) : p.argv;
}

/** The processes of the browsers using exactly these profile directories, and all their descendants. */
export function browserTrees(profiles: readonly string[], procs: readonly Proc[]): Proc[] {
  const wanted = new Set(profiles.map((d) => resolve(d)));
  const members = new Set(procs.filter((p) => wanted.has(profileOf(p) ?? '')).map((p) => p.pid));
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
  return procs.filter((p) => members.has(p.pid));
}

/** CPU and memory of the browser using exactly the profile directory `profile`, children included. */
export function treeUsage(profile: string, procs: readonly Proc[] = allProcesses()): ProcessUsage {
  const members = browserTrees([profile], procs);
  let cpuSeconds = 0;
  let rssBytes = 0;
  for (const p of members) {
    cpuSeconds += p.cpu;
    rssBytes += pss(p.pid) ?? p.rss;
  }
  return { pids: members.length, cpuSeconds, rssBytes };
}

/** Whether `profile` is the directory `dir` or lies below it, compared by whole path components. */
export function isWithin(profile: string, dir: string): boolean {
  const base = resolve(dir);
  return profile === base || profile.startsWith(base.endsWith(sep) ? base : base + sep);
}

/**
 * Processes still running with a profile directory that is `dir` or lies below it (a farm's directory of
 * profiles, or one profile): what a clean shutdown must leave none of.
 */
export function survivors(dir: string, procs: readonly Proc[] = allProcesses()): number[] {
  return procs
    .filter((p) => {
      const profile = profileOf(p);
      return profile !== null && isWithin(profile, dir);
    })
    .map((p) => p.pid);
}

/** The processes of process group `pgrp` still running (zombies are not: they only wait to be reaped). */
export function groupMembers(pgrp: number, procs: readonly Proc[] = allProcesses()): number[] {
  return procs.filter((p) => p.pgrp === pgrp && p.state !== 'Z').map((p) => p.pid);
}
