// Reads the V8 CPU profile a `node --cpu-prof` child wrote and says where its time went within a
// window of the run: self time by function and by area (our source files, each dependency, node internals).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  readonly file: string;
  readonly sampledMs: number;
  readonly byFunction: readonly { name: string; share: number }[];
  readonly byArea: readonly { name: string; share: number }[];
}

/** `fromUs`/`toUs`: the window, in µs of the monotonic clock that V8's profile timestamps also use. */
export function summarizeProfile(dir: string, fromUs: bigint, toUs: bigint): ProfileSummary {
  // One profile per thread: tsx's loader thread idles through the run; the main thread's is the big one.
  const newest = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size)[0];
  if (!newest) throw new Error(`no .cpuprofile in ${dir}`);
  const profile = JSON.parse(readFileSync(newest, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let t = profile.startTime;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if (t < Number(fromUs) || t > Number(toUs)) continue;
    const id = profile.samples[i] as number;
    self.set(id, (self.get(id) ?? 0) + delta);
    total += delta;
  }
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const [id, us] of self) {
    const frame = (nodes.get(id) as ProfileNode).callFrame;
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const name = `${frame.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    const area = areaOf(frame);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
  }
  const ranked = (m: Map<string, number>) =>
    [...m].map(([name, us]) => ({ name, share: (100 * us) / Math.max(total, 1) })).sort((a, b) => b.share - a.share);
  return { file: newest, sampledMs: total / 1000, byFunction: ranked(byFunction), byArea: ranked(byArea) };
}

function shortUrl(url: string): string {
  const i = url.lastIndexOf('node_modules/');
  if (i >= 0) return url.slice(i + 'node_modules/'.length);
  const j = url.indexOf('/apps/');
  if (j >= 0) return url.slice(j + 1);
  const k = url.indexOf('/packages/');
  return k >= 0 ? url.slice(k + 1) : url.replace(/^file:\/\//, '');
}

/** Native frames (SQLite inside better-sqlite3, GC, the idle loop) have no URL and keep their V8 name. */
function areaOf(frame: ProfileNode['callFrame']): string {
  if (!frame.url) return frame.functionName || '(native)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(frame.url);
  if (m) return m[1] as string;
  if (frame.url.startsWith('node:')) return `node:${frame.url.slice(5).split('/')[1] ?? frame.url.slice(5)}`;
  const src = /\/(apps|packages)\/([^/]+)\/src\/(.*)$/.exec(frame.url);
  return src ? `${src[1]}/${src[2]}/src/${src[3]}` : frame.url;
}
