// Node only: where scripts/build-wasm.mjs puts the wasm twins, and reading them and the WGSL beside
// each kernel. node:fs is reached through process.getBuiltinModule when called, not imported, so
// that importing the package index in a browser bundle stays harmless.

function nodeFs(): typeof import('node:fs') {
  const fs = globalThis.process?.getBuiltinModule?.('node:fs');
  if (!fs) throw new Error('Node only: node:fs is not available here');
  return fs;
}

/** Absolute path of packages/workloads/dist/<name>.wasm, built by `npm run build:wasm -w @bricolage/workloads`. */
export function wasmPath(name: string): string {
  if (!/^[a-z0-9-]+$/.test(name)) throw new RangeError(`invalid wasm module name: ${name}`);
  const here = import.meta.dirname;
  if (!here) throw new Error('wasmPath is Node-only: import.meta.dirname is undefined here');
  return `${here.replace(/[\\/]src[\\/]wasm-abi$/, '')}/dist/${name}.wasm`;
}

export function readWasm(name: string): Uint8Array {
  const fs = nodeFs();
  const path = wasmPath(name);
  if (!fs.existsSync(path)) throw new Error(`${path} is missing: run \`npm run build:wasm -w @bricolage/workloads\``);
  return new Uint8Array(fs.readFileSync(path));
}

/** A kernel's source file, e.g. new URL('./primes.wgsl', import.meta.url). */
export function readSource(url: URL): string {
  return nodeFs().readFileSync(url, 'utf8');
}
