// `bench:runtime --trace`: a Chromium trace of each prefetch run's steady window, for where the worker's gaps
// come from when the page's main thread is not busy (profile.ts shows that one thread only): the lease and
// submit requests' round trips, send to last byte, summed here; the whole trace goes to a file for Perfetto.
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

interface TraceEvent {
  readonly name: string;
  readonly ts: number;
  readonly args?: {
    readonly data?: { readonly requestId?: string; readonly url?: string; readonly encodedDataLength?: number };
  };
}

/** Round trips of the requests to each of `paths`, as lines to print. */
export function requestLines(events: readonly TraceEvent[], paths: readonly string[]): string[] {
  const sent = new Map<string, { path: string; at: number }>();
  const trips = new Map<string, { ms: number; bytes: number }[]>(paths.map((p) => [p, []]));
  for (const e of events) {
    const data = e.args?.data;
    if (!data?.requestId) continue;
    if (e.name === 'ResourceSendRequest') {
      const path = paths.find((p) => data.url?.endsWith(p));
      if (path) sent.set(data.requestId, { path, at: e.ts });
    } else if (e.name === 'ResourceFinish') {
      const request = sent.get(data.requestId);
      if (request)
        trips.get(request.path)?.push({ ms: (e.ts - request.at) / 1000, bytes: data.encodedDataLength ?? 0 });
    }
  }
  return [...trips].map(([path, list]) => {
    if (list.length === 0) return `${path}: none finished`;
    const ms = list.map((t) => t.ms).sort((a, b) => a - b);
    const bytes = list.reduce((n, t) => n + t.bytes, 0) / list.length;
    return (
      `${path}: ${list.length} requests, send to last byte median ${ms[Math.floor(ms.length / 2)]!.toFixed(0)} ms, ` +
      `max ${ms.at(-1)!.toFixed(0)} ms, ${(bytes / 1e6).toFixed(2)} MB an answer`
    );
  });
}

export async function startTrace(page: Page, name: string): Promise<{ stop(): Promise<string> }> {
  const browser = page.context().browser();
  if (!browser) throw new Error('--trace needs a launched browser');
  const path = join(tmpdir(), `bench-runtime-${name}.trace.json`);
  await browser.startTracing(page, {
    path,
    categories: ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'blink', 'loading'],
  });
  return {
    async stop() {
      await browser.stopTracing();
      const trace = JSON.parse(readFileSync(path, 'utf8')) as { traceEvents: TraceEvent[] } | TraceEvent[];
      const events = Array.isArray(trace) ? trace : trace.traceEvents;
      const lines = requestLines(events, ['/v1/volunteer/lease', '/v1/volunteer/submit']);
      return [`  ${name}: ${path}`, ...lines.map((l) => `  ${l}`)].join('\n');
    },
  };
}
