// Progress for a person: a live bar (cli-progress) when stderr is a terminal, plain lines otherwise (a log,
// a CI job), at most one a second; nothing at all with --json or --quiet.
import cliProgress from 'cli-progress';
import type { Output } from './io';

export interface Progress {
  update(value: number, total: number, detail: string): void;
  /** A line of its own: above the bar on a terminal. */
  log(line: string): void;
  stop(): void;
}

const PLAIN_EVERY_MS = 1000;

export function progress(out: Output, label: string, now: () => number = Date.now): Progress {
  if (out.json || out.quiet) return { update: () => undefined, log: () => undefined, stop: () => undefined };
  const stderr = out.io.stderr;
  if (stderr.isTTY) {
    const bars = new cliProgress.MultiBar(
      {
        format: `${label} {bar} {percentage}% {value}/{total} {detail}`,
        stream: stderr as NodeJS.WritableStream,
        hideCursor: true,
        fps: 5,
        barsize: 30,
        autopadding: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let bar: cliProgress.SingleBar | null = null;
    return {
      update(value, total, detail) {
        if (!bar) bar = bars.create(total, value, { detail });
        else {
          bar.setTotal(total);
          bar.update(value, { detail });
        }
      },
      log: (line) => bars.log(`${line}\n`),
      stop: () => bars.stop(),
    };
  }
  let last = Number.NEGATIVE_INFINITY;
  let pending: string | null = null;
  return {
    update(value, total, detail) {
      const line =
        `${label} ${value}/${total}${total > 0 ? ` (${Math.floor((value / total) * 100)}%)` : ''} ${detail}`.trimEnd();
      if (now() - last >= PLAIN_EVERY_MS || value === total) {
        stderr.write(`${line}\n`);
        last = now();
        pending = null;
      } else pending = line;
    },
    log: (line) => stderr.write(`${line}\n`),
    stop() {
      if (pending !== null) stderr.write(`${pending}\n`);
      pending = null;
    },
  };
}

/** Seconds as `1h02m`, `3m05s`, `42s`. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}
