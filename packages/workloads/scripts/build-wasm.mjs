#!/usr/bin/env node
// Compiles every src/<name>/assembly/index.ts (AssemblyScript) into dist/<name>.wasm: -O3, stub
// runtime, abort aliased away, so the module imports nothing (docs/WASM_ABI.md). Runs on install,
// so it skips modules whose output is newer than their sources and this script.
import { mkdirSync, readdirSync, renameSync, statSync, unlinkSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
const dist = join(root, 'dist');
const self = fileURLToPath(import.meta.url);

const newestMtime = (dir) =>
  Math.max(
    statSync(self).mtimeMs,
    ...readdirSync(dir, { recursive: true })
      .map((f) => join(dir, String(f)))
      .filter((f) => statSync(f).isFile())
      .map((f) => statSync(f).mtimeMs),
  );

const mtimeOr0 = (path) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0; // missing: always older than its sources
  }
};

async function build(name) {
  const dir = join(src, name, 'assembly');
  const out = join(dist, `${name}.wasm`);
  if (mtimeOr0(out) > newestMtime(dir)) return 'up to date';
  // Write beside the target and rename: test workers may build the same module at once.
  const tmp = `${out}.${process.pid}.tmp`;
  // Loaded only when something is stale: importing the compiler alone takes about a second.
  const { default: asc } = await import('assemblyscript/asc');
  const stderr = asc.createMemoryStream();
  const { error } = await asc.main(
    [join(dir, 'index.ts'), '--outFile', tmp, '-O3', '--noAssert', '--runtime', 'stub', '--use', 'abort='],
    { stdout: asc.createMemoryStream(), stderr },
  );
  if (error) throw new Error(`asc failed for ${name}: ${error.message}\n${stderr.toString()}`);
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(tmp)));
  if (imports.length > 0) {
    unlinkSync(tmp);
    throw new Error(
      `${name}.wasm must import nothing, it imports ${imports.map((i) => `${i.module}.${i.name}`).join(', ')}`,
    );
  }
  renameSync(tmp, out);
  return `built (${statSync(out).size} bytes)`;
}

mkdirSync(dist, { recursive: true });
const names = readdirSync(src).filter((name) => {
  try {
    return statSync(join(src, name, 'assembly', 'index.ts')).isFile();
  } catch {
    return false; // a workload without a wasm twin
  }
});
for (const name of names) console.log(`build-wasm: ${name}.wasm ${await build(name)}`);
