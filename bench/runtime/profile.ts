// `bench:runtime --profile`: where the volunteer page's main thread spends the steady window. The worker's
// time is the duty cycle itself; the page's is what a short unit's round trip costs (hashing, base64, the
// outbox, submits), so it is profiled alone, through Chromium's sampling profiler, and summed by function.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Self time per function, largest first, as lines to print; the whole profile is written beside them. */
export function summarize(profile: CpuProfile, top = 20): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)?.callFrame;
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    if (!frame) return;
    const file = frame.url.split('/').at(-1) ?? '';
    const key = `${frame.functionName || '(anonymous)'} ${file}${file ? `:${frame.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  const idle = [...self].filter(([k]) => k.startsWith('(idle)')).reduce((n, [, v]) => n + v, 0);
  return [
    `main thread: ${(total / 1000).toFixed(0)} ms profiled, ${((1 - idle / total) * 100).toFixed(1)} % busy; self time:`,
    ...[...self]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([k, v]) => `  ${((v / total) * 100).toFixed(1).padStart(5)} %  ${(v / 1000).toFixed(0).padStart(6)} ms  ${k}`,
      ),
  ];
}

export async function startProfile(page: Page): Promise<{ stop(name: string): Promise<string> }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  return {
    async stop(name) {
      const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: CpuProfile };
      await cdp.detach();
      const file = join(tmpdir(), `bench-runtime-${name}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      return [`  ${name}: ${file}`, ...summarize(profile).map((l) => `  ${l}`)].join('\n');
    },
  };
}
