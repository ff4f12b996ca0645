// Does a WGSL source parse, and does it match its job's spec: the entry point is a @compute function,
// and every group-0 binding agrees with the spec in number and type? Checked with wgsl_reflect, a WGSL
// parser and reflection library: it catches syntax errors and reflects the bindings, but does not type-check
// (a kernel that parses yet does not compile still fails on the volunteers, with compile_failed).
import type { WgslBinding, WgslSpec } from '@bricolage/protocol';
import { WgslParser, WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';

/** Past this, a "kernel" is not something a person wrote, and parsing it on the request path is not worth it. */
export const MAX_WGSL_BYTES = 1 << 20;

const ACCESS: Record<WgslBinding['type'], string> = {
  uniform: 'var<uniform>',
  read: 'var<storage, read>',
  read_write: 'var<storage, read_write>',
};

interface Declared {
  readonly name: string;
  readonly group: number;
  readonly binding: number;
  /** As WGSL spells it: var<uniform>, var<storage, read>, var<storage, read_write>, or another resource. */
  readonly kind: string;
  /** Bytes of the WGSL type; 0 for a runtime-sized array, whose minimum is one element past its fixed part. */
  readonly size: number;
  readonly line: number | null;
}

/** Why the source cannot serve the spec, naming the WGSL line where there is one; null when it can. */
export function wgslProblem(source: string, spec: WgslSpec): string | null {
  const parser = new WgslParser();
  let ast: { astNodeType: string; name?: string; line?: number }[];
  try {
    ast = parser.parse(source) as unknown as typeof ast;
  } catch (e) {
    const m = /^(.*?)\.*\s*Line: (\d+)\s*$/s.exec((e as Error).message);
    return m ? `WGSL line ${m[2]}: ${m[1]}` : `WGSL does not parse: ${(e as Error).message}`;
  }
  // The parser stops quietly at the first thing it cannot read as a declaration: that is a syntax error too.
  if (!parser._isAtEnd()) {
    const token = parser._peek();
    return `WGSL line ${token.line}: unexpected \`${token.lexeme}\` where a declaration should be`;
  }
  const reflect = new WgslReflect(source);
  const lines = new Map(ast.filter((s) => s.astNodeType === 'var').map((s) => [s.name, s.line ?? null]));

  const entry = reflect.entry.compute.find((e) => e.name === spec.entryPoint);
  if (!entry) {
    const fn = reflect.functions.find((f) => f.name === spec.entryPoint);
    if (fn) return `WGSL line ${fn.startLine}: function ${spec.entryPoint} is not a @compute entry point`;
    const found = reflect.entry.compute.map((e) => e.name);
    return `WGSL has no @compute entry point ${spec.entryPoint}${found.length ? ` (it has ${found.join(', ')})` : ''}`;
  }

  const resources: Declared[] = [...reflect.uniforms, ...reflect.storage, ...reflect.textures, ...reflect.samplers].map(
    (v) => ({
      name: v.name,
      group: v.group,
      binding: v.binding,
      kind:
        v.resourceType === 0
          ? ACCESS.uniform
          : v.resourceType === 1
            ? `var<storage, ${v.access || 'read'}>`
            : 'a texture or sampler',
      size: v.size,
      line: lines.get(v.name) ?? null,
    }),
  );
  const at = (d: Declared) => (d.line === null ? `${d.name}` : `${d.name} at WGSL line ${d.line}`);
  const used = new Set(entry.resources.map((r) => `${r.group}:${r.binding}`));

  for (const d of resources) {
    if (!used.has(`${d.group}:${d.binding}`)) continue;
    if (d.group !== 0) return `${at(d)} is in @group(${d.group}); the runtime binds @group(0) only`;
    if (!spec.bindings.some((b) => b.binding === d.binding))
      return `${at(d)} (@binding(${d.binding})) is used by ${spec.entryPoint} but not declared in spec.bindings`;
  }
  for (const b of spec.bindings) {
    const d = resources.find((r) => r.group === 0 && r.binding === b.binding);
    const label = `spec.bindings: binding ${b.binding} (${b.name})`;
    if (!d) return `${label} is not declared in the WGSL (no @group(0) @binding(${b.binding}))`;
    if (d.kind !== ACCESS[b.type]) return `${label} is ${b.type} in the spec but ${d.kind} ${at(d)}`;
    if (d.size > 0 && b.size < d.size)
      return `${label} is ${b.size} bytes, smaller than its WGSL type (${d.size} bytes) ${at(d)}`;
  }
  return null;
}
