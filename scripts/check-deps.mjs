// Enforces the dependency direction: apps -> packages, protocol imports nothing of ours,
// only runtime touches WebGPU/onnxruntime-web, only peer touches yjs, no package imports an app,
// and nothing a browser bundle imports from a package (its "." export) reaches a node: module.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const rules = [
  { where: 'packages/protocol/', forbid: [/^@bricolage\//], why: 'protocol imports nothing of ours' },
  { where: 'packages/', forbid: [/^@bricolage\/(coordinator|web|farm)$/], why: 'packages never import apps' },
  // Tests may run a workload's model in the real onnxruntime-web to check it against its CPU reference.
  {
    whereNot: 'packages/runtime/',
    exceptTests: true,
    forbid: [/^onnxruntime-web/],
    why: 'only packages/runtime touches onnxruntime-web',
  },
  { whereNot: 'packages/peer/', forbid: [/^y-webrtc/, /^yjs/], why: 'only packages/peer imports yjs / y-webrtc' },
];

function* files(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (/\.(ts|tsx|mts)$/.test(name)) yield path;
  }
}

const problems = [];
for (const top of ['apps', 'packages']) {
  for (const file of files(join(root, top))) {
    const rel = relative(root, file);
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
      const spec = m[1];
      for (const rule of rules) {
        const exempt = rule.exceptTests && /\.test\.tsx?$/.test(rel);
        const applies = !exempt && (rule.where ? rel.startsWith(rule.where) : !rel.startsWith(rule.whereNot));
        if (applies && rule.forbid.some((re) => re.test(spec))) problems.push(`${rel}: imports ${spec} (${rule.why})`);
      }
    }
  }
}
// The runtime's folders are layers: a folder imports only from itself and the ones before it (files at
// src/ itself are not ranked). So executors/ knows nothing of calibration, and client/ nothing of pipeline/.
const RUNTIME_LAYERS = ['executors', 'calibration', 'compute', 'client', 'pipeline'];
const runtimeSrc = join(root, 'packages/runtime/src');
const layerOf = (file) => RUNTIME_LAYERS.indexOf(relative(runtimeSrc, file).split('/')[0]);
for (const file of files(runtimeSrc)) {
  const from = layerOf(file);
  if (from < 0) continue;
  for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"](\.[^'"]*)['"]/g)) {
    const to = layerOf(resolve(dirname(file), m[1]));
    if (to > from)
      problems.push(
        `${relative(root, file)}: imports ${m[1]} (runtime layers: ${RUNTIME_LAYERS.join(' < ')}; import downwards only)`,
      );
  }
}

// Packages a page bundles: every file reachable from their main entry must run in a browser. Node-only
// helpers live behind a subpath (e.g. @bricolage/workloads/node).
const BROWSER_ENTRIES = [
  ...['client', 'protocol', 'receipts', 'runtime', 'workloads', 'peer'].map((p) => `packages/${p}/src/index.ts`),
  'packages/runtime/src/wgsl-check/index.ts',
];

function resolveRelative(from, spec) {
  const base = resolve(dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')])
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  return null;
}

for (const entry of BROWSER_ENTRIES) {
  const seen = new Set();
  const queue = [join(root, entry)];
  while (queue.length > 0) {
    const file = queue.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
      const spec = m[1];
      if (spec.startsWith('node:'))
        problems.push(`${relative(root, file)}: imports ${spec}, and a browser bundle reaches it from ${entry}`);
      else if (spec.startsWith('.') && !spec.includes('?')) {
        const next = resolveRelative(file, spec);
        if (next && /\.(ts|tsx)$/.test(next)) queue.push(next);
      }
    }
  }
}

if (problems.length > 0) {
  console.error(`Dependency direction violated:\n${problems.join('\n')}`);
  process.exit(1);
}
console.log('dependency direction: ok');
