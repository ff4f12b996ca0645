import { describe, expect, it } from 'vitest';
import { groupMembers, type Proc, survivors, treeUsage } from './procstats';

// Above Linux's largest possible pid_max (2^22), so no real /proc entry is ever read for them.
let nextPid = 4_200_000;

/**
 * A browser of profile `dir` as Chromium runs one: the browser process with its arguments as given, and
 * children whose command line Chromium rewrote as one space-joined string; a switch's value has spaces.
 */
function browser(dir: string, cpu: number): Proc[] {
  // The farm starts each browser as the leader of its own process group, which its helpers join.
  const group = nextPid;
  const proc = (ppid: number, argv: string[]): Proc => ({
    pid: nextPid++,
    ppid,
    pgrp: group,
    state: 'S',
    cpu,
    rss: 1024,
    argv,
    cmdline: argv.join(' '),
  });
  const child = (ppid: number, type: string) =>
    proc(ppid, [
      `/usr/lib/chromium/chromium --type=${type} --enable-crash-reporter=,built on Debian --user-data-dir=${dir} --lang=en-US`,
    ]);
  const main = proc(1, ['/usr/lib/chromium/chromium', '--headless', `--user-data-dir=${dir}`, 'about:blank']);
  const zygote = child(main.pid, 'zygote');
  const renderer = child(zygote.pid, 'renderer');
  const gpu = child(zygote.pid, 'gpu-process');
  return [main, zygote, renderer, gpu];
}

describe('per-browser process figures', () => {
  // Fifteen tabs: `tab-1` is a prefix of `tab-10` … `tab-15`.
  const procs = Array.from({ length: 15 }, (_, i) => browser(`/farm/profiles/tab-${i + 1}`, i + 1)).flat();
  const unrelated: Proc = {
    pid: nextPid++,
    ppid: 1,
    pgrp: 1,
    state: 'S',
    cpu: 100,
    rss: 1024,
    argv: ['node', 'tail', '/farm/profiles/tab-1/log'],
    cmdline: 'node tail /farm/profiles/tab-1/log',
  };
  const all = [...procs, unrelated];

  it("counts each tab's own browser tree once, from tab 1 to tab 15", () => {
    for (let i = 1; i <= 15; i++) {
      const usage = treeUsage(`/farm/profiles/tab-${i}`, all);
      expect({ tab: i, pids: usage.pids, cpu: usage.cpuSeconds }).toEqual({ tab: i, pids: 4, cpu: 4 * i });
    }
    expect(treeUsage('/farm/profiles/tab-1/', all).pids).toBe(4);
    expect(treeUsage('/farm/profiles/tab-', all).pids).toBe(0);
  });

  it('finds survivors below a directory by whole path components', () => {
    expect(survivors('/farm/profiles', all)).toHaveLength(60);
    expect(survivors('/farm/profiles/tab-1', all)).toHaveLength(4);
    expect(survivors('/farm/prof', all)).toHaveLength(0);
  });

  it("lists a browser's process group while any of it runs, zombies aside", () => {
    const pids = survivors('/farm/profiles/tab-3', all);
    const tab = all.filter((p) => pids.includes(p.pid));
    const group = tab[0]!.pgrp;
    expect(groupMembers(group, all)).toEqual(tab.map((p) => p.pid));
    // The browser exited and was reaped; its renderer exited and waits as a zombie: two helpers still run.
    const later = all.filter((p) => p.pid !== group).map((p) => (p === tab[2] ? { ...p, state: 'Z' } : p));
    expect(groupMembers(group, later)).toEqual([tab[1]!.pid, tab[3]!.pid]);
    // Only the zombie is left: nothing of the browser runs.
    expect(
      groupMembers(
        group,
        later
          .filter((p) => p === tab[2] || p.pgrp !== group)
          .map((p) => (p.pid === tab[2]!.pid ? { ...p, state: 'Z' } : p)),
      ),
    ).toEqual([]);
  });
});
