// A small job for tests: "square each u32", four numbers in, four out. Its WGSL is real, though the
// simulated volunteers compute it in JavaScript.
import { API, type CreateJobRequest, type JobProgress, toBase64 } from '@bricolage/protocol';
import { sha256Hex } from '../hash';

export const SQUARE_WGSL = `@group(0) @binding(0) var<storage, read> xs: array<u32, 4>;
@group(0) @binding(1) var<storage, read_write> ys: array<u32, 4>;
@compute @workgroup_size(4) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  ys[id.x] = xs[id.x] * xs[id.x];
}
`;

export function squareInput(n: number): Uint8Array {
  return new Uint8Array(new Uint32Array([n, n + 1, n + 2, n + 3]).buffer);
}

/** Work units `from` … `from + count - 1` as an upload's NDJSON lines, each tagged `n=<its number>`. */
export function squareLines(from: number, count: number): string {
  let body = '';
  for (let i = 0; i < count; i++)
    body += `${JSON.stringify({ input: toBase64(squareInput(from + i)), tag: `n=${from + i}` })}\n`;
  return body;
}

export function square(input: Uint8Array): Uint8Array {
  const xs = new Uint32Array(input.buffer.slice(input.byteOffset, input.byteOffset + input.byteLength));
  return new Uint8Array(xs.map((x) => Math.imul(x, x) >>> 0).buffer);
}

/** `square` with one bit flipped: a wrong answer, and the same wrong answer from every key that gives it. */
export function wrongSquare(input: Uint8Array): Uint8Array {
  const out = square(input);
  out[0] = (out[0] ?? 0) ^ 1;
  return out;
}

export function squareJob(overrides: Partial<CreateJobRequest> = {}): CreateJobRequest {
  return {
    name: 'squares',
    spec: {
      kind: 'wgsl',
      shader: sha256Hex(new TextEncoder().encode(SQUARE_WGSL)) as never,
      entryPoint: 'main',
      bindings: [
        { binding: 0, name: 'xs', type: 'read', role: 'input', size: 16 },
        { binding: 1, name: 'ys', type: 'read_write', role: 'output', size: 16 },
      ],
      dispatch: [1, 1, 1],
    },
    comparator: { kind: 'exact' },
    costPerWorkUnit: 10,
    knownAnswerRate: 0,
    adaptive: { enabled: false, trustAfter: 10, spotCheckRate: 0.1 },
    ...overrides,
  };
}

export class Researcher {
  constructor(
    readonly url: string,
    readonly token: string,
  ) {}

  async request(method: string, path: string, body?: BodyInit, type = 'application/json'): Promise<Response> {
    return fetch(this.url + path, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': type }) },
      ...(body === undefined ? {} : { body }),
    });
  }

  async createSquareJob(overrides: Partial<CreateJobRequest> = {}): Promise<string> {
    const shader = new TextEncoder().encode(SQUARE_WGSL);
    const put = await this.request('PUT', API.blob(sha256Hex(shader)), shader, 'application/octet-stream');
    if (!put.ok) throw new Error(`blob upload failed: ${await put.text()}`);
    const res = await this.request('POST', API.jobs, JSON.stringify(squareJob(overrides)));
    if (!res.ok) throw new Error(`job creation failed: ${await res.text()}`);
    return ((await res.json()) as { id: string }).id;
  }

  async addSquares(job: string, from: number, count: number, knownAnswer = 0): Promise<Response> {
    let body = squareLines(from, count);
    for (let i = 0; i < knownAnswer; i++) {
      const input = squareInput(1_000_000 + i);
      body += `${JSON.stringify({ input: toBase64(input), expected: toBase64(square(input)) })}\n`;
    }
    return this.request('POST', API.workUnits(job), body, 'application/x-ndjson');
  }

  async progress(job: string): Promise<JobProgress> {
    const res = await this.request('GET', API.job(job));
    return ((await res.json()) as { progress: JobProgress }).progress;
  }

  async results(job: string, after = 0): Promise<Record<string, unknown>[]> {
    const res = await this.request('GET', `${API.results(job)}?after=${after}`);
    const text = await res.text();
    return text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}
