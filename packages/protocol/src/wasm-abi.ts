// The import-free WebAssembly work-unit ABI (docs/WASM_ABI.md), checked one way by the coordinator when a
// job is created, by the volunteer before it runs a module, and by the workloads' own tests.
import { constantBindings, type WgslSpec } from './job-spec';

/** What a job needs of its wasm twin: the entry point, and how many constants it writes via `const_ptr(i)`. */
export interface WasmAbiShape {
  readonly entry: string;
  readonly constants: number;
}

export const wasmAbiShape = (spec: WgslSpec): WasmAbiShape => ({
  entry: spec.wasm?.export ?? 'run',
  constants: constantBindings(spec).length,
});

/** Why this compiled module cannot serve as a work-unit module, or null when it can. */
export function wasmAbiProblem(module: WebAssembly.Module, shape: WasmAbiShape): string | null {
  const imports = WebAssembly.Module.imports(module);
  if (imports.length > 0)
    return `a work-unit module must have no imports; it imports ${imports.map((i) => `${i.module}.${i.name}`).join(', ')}`;
  const exports = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
  const wanted: [string, WebAssembly.ImportExportKind][] = [
    ['memory', 'memory'],
    ['input_ptr', 'function'],
    ['output_ptr', 'function'],
    [shape.entry, 'function'],
  ];
  if (shape.constants > 0) wanted.push(['const_ptr', 'function']);
  for (const [name, kind] of wanted)
    if (exports.get(name) !== kind)
      return `the module must export ${kind} ${name}${name === 'const_ptr' ? ` (the job has ${shape.constants} constant binding${shape.constants === 1 ? '' : 's'})` : ''}`;
  return null;
}
