// Seeded random hostile requests for route-fuzz.test.ts, made from the API's own OpenAPI document: each operation's
// path and query parameters, request body and credentials, some left valid (so that a request gets past the
// checks before the one a variation breaks) and some not.
import type { Random } from '../clock';

type Schema = Record<string, unknown>;

export interface Operation {
  readonly method: string;
  /** The path template: `/v1/jobs/{job}`. */
  readonly path: string;
  readonly pathParams: readonly string[];
  readonly queryParams: readonly string[];
  /** The request body's content type and schema (references resolved lazily), if it takes one. */
  readonly body?: { readonly type: string; readonly schema: Schema };
  /** Which credential it takes: 'project', 'volunteer', 'operator', or none. */
  readonly auth?: 'project' | 'volunteer' | 'operator';
  readonly components: Record<string, Schema>;
}

export interface Pools {
  readonly job: readonly string[];
  readonly project: readonly string[];
  readonly volunteer: readonly string[];
  readonly hash: readonly string[];
  readonly token: {
    readonly project: readonly string[];
    readonly volunteer: readonly string[];
    readonly operator: readonly string[];
  };
  /** A body known to pass the schema, by path, to mutate from. */
  readonly bodies: Record<string, unknown>;
}

export interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string | Uint8Array<ArrayBuffer>;
}

const AUTH: Record<string, Operation['auth']> = {
  projectToken: 'project',
  volunteerToken: 'volunteer',
  operatorToken: 'operator',
};

/** The operations of an OpenAPI 3.1 document. */
export function operationsOf(doc: {
  paths: Record<string, Record<string, Schema>>;
  components?: { schemas?: Record<string, Schema> };
}): Operation[] {
  const components = doc.components?.schemas ?? {};
  const out: Operation[] = [];
  for (const [path, ops] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(ops)) {
      const params = (op.parameters ?? []) as { name: string; in: string }[];
      const content = (op.requestBody as { content?: Record<string, { schema?: Schema }> } | undefined)?.content;
      const [type, media] = Object.entries(content ?? {})[0] ?? [];
      const security = (op.security as Record<string, unknown>[] | undefined)?.[0];
      const scheme = security ? Object.keys(security)[0] : undefined;
      out.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: params.filter((p) => p.in === 'query').map((p) => p.name),
        ...(type ? { body: { type, schema: media?.schema ?? {} } } : {}),
        ...(scheme ? { auth: AUTH[scheme] } : {}),
        components,
      });
    }
  return out;
}

/** Strings that have broken parsers: empty, huge, out of range, not numbers, escapes, another id's shape. */
const NASTY_TEXT = [
  '',
  ' ',
  'x',
  '0',
  '-1',
  '1.5',
  '1e309',
  'NaN',
  'Infinity',
  '0x10',
  '9007199254740993',
  '18446744073709551616',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  '%00',
  '%ZZ',
  '%F0%9F%92%A5',
  '..%2F..%2Fetc%2Fpasswd',
  'job_0000000000000000',
  'wu_1',
  'lease_1',
  'ab'.repeat(32),
  'A'.repeat(70_000),
];

const NASTY_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  2 ** 53 + 2,
  -(2 ** 63),
  1e308,
  '',
  'x',
  'é💥\u0000',
  'A'.repeat(20_000),
  [],
  [null],
  {},
  { __proto__: { polluted: true } },
  JSON.parse('{"__proto__":{"polluted":true}}'),
  Array.from({ length: 2_000 }, (_, i) => i),
];

const pick = <T>(random: Random, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;

/** `count` requests for the operation, mixing valid parts and hostile ones. */
export function variations(op: Operation, pools: Pools, random: Random, count: number): FuzzRequest[] {
  const out: FuzzRequest[] = [];
  for (let i = 0; i < count; i++) {
    const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const valid = (pools as unknown as Record<string, readonly string[] | undefined>)[name] ?? [];
      return encodeURIComponent(random() < 0.5 && valid.length > 0 ? pick(random, valid) : pick(random, NASTY_TEXT));
    });
    const query = op.queryParams
      .filter(() => random() < 0.7)
      .flatMap((name) => {
        const value = random() < 0.3 ? String(Math.floor(random() * 4)) : pick(random, NASTY_TEXT);
        // A parameter given twice is an array to some parsers.
        return random() < 0.1 ? [[name, value] as const, [name, '2'] as const] : [[name, value] as const];
      });
    if (random() < 0.1) query.push(['unknown', 'x']);
    const search = query.length > 0 ? `?${new URLSearchParams(query.map(([k, v]) => [k, v])).toString()}` : '';
    const headers: Record<string, string> = {};
    const credential = credentialFor(op, pools, random);
    if (credential !== undefined) headers.authorization = credential;
    if (random() < 0.1) headers.accept = pick(random, ['application/vnd.bricolage.lease-frame', '*/*', 'x/y']);
    let body: string | Uint8Array<ArrayBuffer> | undefined;
    if (op.body || (random() < 0.05 && op.method !== 'GET' && op.method !== 'HEAD')) {
      const type = op.body?.type ?? 'application/json';
      headers['content-type'] = random() < 0.1 ? pick(random, ['text/plain', 'application/json', '']) : type;
      body = bodyFor(op, type, pools, random);
    }
    out.push({ method: op.method, path: path + search, headers, ...(body === undefined ? {} : { body }) });
  }
  return out;
}

function credentialFor(op: Operation, pools: Pools, random: Random): string | undefined {
  const r = random();
  if (r < 0.1) return undefined;
  if (r < 0.2) return pick(random, ['Bearer ', 'Bearer x', 'Basic eA==', `Bearer ${'A'.repeat(5000)}`, 'bearer']);
  if (r < 0.35) {
    const any = [...pools.token.project, ...pools.token.volunteer, ...pools.token.operator];
    return `Bearer ${pick(random, any)}`;
  }
  const own = op.auth ? pools.token[op.auth] : [];
  return own.length > 0 ? `Bearer ${pick(random, own)}` : undefined;
}

function bodyFor(op: Operation, type: string, pools: Pools, random: Random): string | Uint8Array<ArrayBuffer> {
  if (type === 'application/octet-stream')
    return Uint8Array.from({ length: Math.floor(random() * 300) }, () => Math.floor(random() * 256));
  if (type === 'application/x-ndjson') {
    const lines = Array.from({ length: 1 + Math.floor(random() * 4) }, () =>
      random() < 0.5
        ? JSON.stringify(Object.assign({ input: 'AAAAAA==' }, mutate({}, random)))
        : JSON.stringify(pick(random, NASTY_VALUES)),
    );
    return `${lines.join(random() < 0.2 ? '\r\n' : '\n')}${random() < 0.5 ? '\n' : ''}`;
  }
  const r = random();
  if (r < 0.1) return pick(random, ['{', '', 'null', '[]', '{"a":', '\u0000', '{"x":1}{"y":2}', '1e999']);
  const start =
    pools.bodies[op.path.replace(/\{\w+\}/g, '')] ??
    pools.bodies[op.path] ??
    sample(op.body?.schema ?? {}, op.components, 0);
  const value = r < 0.3 ? start : mutate(structuredClone(start), random);
  return JSON.stringify(value);
}

/** A value the schema describes: what a first try at a valid body looks like. */
function sample(schema: Schema, components: Record<string, Schema>, depth: number): unknown {
  if (depth > 6) return null;
  const ref = schema.$ref as string | undefined;
  if (ref) return sample(components[ref.split('/').pop() ?? ''] ?? {}, components, depth + 1);
  const variants = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
  if (variants?.[0]) return sample(variants[0], components, depth + 1);
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      return Object.fromEntries(Object.entries(props).map(([k, s]) => [k, sample(s, components, depth + 1)]));
    }
    case 'array':
      return [sample((schema.items ?? {}) as Schema, components, depth + 1)];
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'boolean':
      return true;
    case 'string':
      return 'x'.repeat(typeof schema.minLength === 'number' ? schema.minLength : 1);
    default:
      return null;
  }
}

/** The value with one to three places in it replaced, removed or added. */
function mutate(value: unknown, random: Random): unknown {
  let v = value;
  for (let n = 1 + Math.floor(random() * 3); n > 0; n--) v = mutateOnce(v, random, 0);
  return v;
}

function mutateOnce(value: unknown, random: Random, depth: number): unknown {
  if (value !== null && typeof value === 'object' && depth < 8 && random() < 0.8) {
    if (Array.isArray(value)) {
      if (value.length === 0 || random() < 0.2) return [...value, pick(random, NASTY_VALUES)];
      const i = Math.floor(random() * value.length);
      const copy = [...value];
      copy[i] = mutateOnce(copy[i], random, depth + 1);
      return copy;
    }
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 0 || random() < 0.15)
      return { ...record, [pick(random, ['extra', '__proto__', 'x'])]: pick(random, NASTY_VALUES) };
    const key = pick(random, keys);
    if (random() < 0.15) {
      const { [key]: _, ...rest } = record;
      return rest;
    }
    return { ...record, [key]: mutateOnce(record[key], random, depth + 1) };
  }
  return pick(random, NASTY_VALUES);
}
