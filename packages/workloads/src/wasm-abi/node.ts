// Node only (reached through `@bricolage/workloads/node`, never from the package index): where
// scripts/build-wasm.mjs puts the wasm twins, and reading them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Absolute path of packages/workloads/dist/<name>.wasm, built by `npm run build:wasm -w @bricolage/workloads`. */
export function wasmPath(name: string): string {
  if (!/^[a-z0-9-]+$/.test(name)) throw new RangeError(`invalid wasm module name: ${name}`);
  return join(import.meta.dirname, '..', '..', 'dist', `${name}.wasm`);
}

export function readWasm(name: string): Uint8Array {
  const path = wasmPath(name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build:wasm -w @bricolage/workloads\``);
  return new Uint8Array(readFileSync(path));
}
