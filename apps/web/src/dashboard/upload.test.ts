// The upload's batches, checks, cut and resume, against an in-memory coordinator that commits each batch
// once per idempotency key, as POST /v1/jobs/{job}/workunits does (the e2e test runs the real one).
import { type JobId, JobSpec, toBase64 } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import type { ApiResult, ResearcherApi, UploadReply } from './api';
import { binarySource, ndjsonSource } from './inputs';
import { inFileTerms, Upload, unitsPerBatch } from './upload';

class MemoryStorage implements Storage {
  readonly #items = new Map<string, string>();
  get length() {
    return this.#items.size;
  }
  clear() {
    this.#items.clear();
  }
  getItem(key: string) {
    return this.#items.get(key) ?? null;
  }
  key(i: number) {
    return [...this.#items.keys()][i] ?? null;
  }
  removeItem(key: string) {
    this.#items.delete(key);
  }
  setItem(key: string, value: string) {
    this.#items.set(key, value);
  }
}

type Fault = 'lost-reply' | 'no-connection' | undefined;

/** Commits each batch once per key; `faults[n]` breaks the nth request (0-based). */
function coordinator(faults: Fault[] = []) {
  const committed = new Map<string, number>();
  const lines: string[] = [];
  const keys: string[] = [];
  let request = 0;
  const api = {
    async addWorkUnits(_job, body, key, onBytes): Promise<ApiResult<UploadReply>> {
      const fault = faults[request++];
      keys.push(key);
      if (fault === 'no-connection')
        return { ok: false, error: { status: 0, code: 'network', message: 'the connection broke' } };
      const text = await body.text();
      onBytes(body.size, body.size);
      const replayed = committed.has(key);
      const batch = text.split('\n').filter((l) => l !== '');
      if (!replayed) {
        lines.push(...batch);
        committed.set(key, batch.length);
      }
      if (fault === 'lost-reply')
        return { ok: false, error: { status: 0, code: 'network', message: 'the connection broke' } };
      const reply = {
        job: 'job_x' as JobId,
        added: committed.get(key) ?? 0,
        knownAnswer: 0,
        firstWorkUnit: null,
        lastWorkUnit: null,
      };
      return { ok: true, value: { ...reply, replayed } };
    },
  } as Pick<ResearcherApi, 'addWorkUnits'> as ResearcherApi;
  return { api, lines, keys };
}

const SIZES = { input: 4, output: 4 };
const unit = (n: number) => JSON.stringify({ input: toBase64(new Uint8Array([n, 0, 0, 0])), tag: `t${n}` });
const ndjson = (n: number, extra = '') =>
  new File([`${Array.from({ length: n }, (_, i) => unit(i)).join('\n')}\n${extra}`], 'inputs.ndjson', {
    lastModified: 1,
  });

let ids = 0;
const options = (storage: Storage) => ({ storage, newId: () => `u${++ids}` });

describe('unitsPerBatch', () => {
  it('aims at twenty batches, 100 to 5,000 units each', () => {
    expect([1, 1000, 10_000, 1_000_000].map(unitsPerBatch)).toEqual([100, 100, 500, 5000]);
  });
});

describe('Upload', () => {
  it('sends every unit once, in batches, with progress in units and bytes', async () => {
    const { api, lines, keys } = coordinator();
    const file = ndjson(1000);
    const upload = new Upload(api, 'job_x', ndjsonSource(file), SIZES, options(new MemoryStorage()));
    const seen: number[] = [];
    upload.subscribe((p) => p.state === 'uploading' && seen.push(p.units.sent));
    const done = await upload.run();
    expect(done).toMatchObject({ state: 'done', units: { sent: 1000, total: 1000 }, bytes: { sent: file.size } });
    expect(lines).toHaveLength(1000);
    expect(keys).toHaveLength(10);
    expect(new Set(seen)).toEqual(new Set([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]));
  });

  it('resumes a cut upload where it stopped, resending the batch in flight under its key: nothing twice', async () => {
    const storage = new MemoryStorage();
    // The 4th request is committed but its reply is lost; the resume's first request then finds no connection.
    const { api, lines, keys } = coordinator([undefined, undefined, undefined, 'lost-reply', 'no-connection']);
    const file = ndjson(1000);
    const first = new Upload(api, 'job_x', ndjsonSource(file), SIZES, options(storage));
    expect(await first.run()).toMatchObject({
      state: 'interrupted',
      units: { sent: 300 },
      message: expect.stringMatching(
        /^The upload stopped after 300 of 1,000 work units: the connection broke\. Resume/,
      ),
    });
    expect(await first.run()).toMatchObject({ state: 'interrupted', units: { sent: 300 } });
    // After a reload: a new Upload of the same file to the same job carries on from the checkpoint.
    const again = new Upload(api, 'job_x', ndjsonSource(file), SIZES, options(storage));
    expect(again.resumable).toBe(true);
    expect(await again.run()).toMatchObject({ state: 'done', units: { sent: 1000 }, replayed: 1, resumedFrom: 300 });
    expect(lines).toEqual(Array.from({ length: 1000 }, (_, i) => unit(i)));
    expect(keys.slice(3)).toEqual(['u2:3', 'u2:3', 'u2:3', 'u2:4', 'u2:5', 'u2:6', 'u2:7', 'u2:8', 'u2:9']);
    expect(storage.length).toBe(0);
  });

  it('checks every line before sending anything, and names the line of the file', async () => {
    const { api, keys } = coordinator();
    const file = ndjson(300, `\n${JSON.stringify({ input: toBase64(new Uint8Array(5)) })}\n`);
    const upload = new Upload(api, 'job_x', ndjsonSource(file), SIZES, options(new MemoryStorage()));
    expect(await upload.run()).toMatchObject({
      state: 'refused',
      message: "inputs.ndjson line 302: input is 5 bytes; the job's inputs total 4",
    });
    expect(keys).toEqual([]);
  });

  it('checks a line as the coordinator and the CLI do: where it stops being JSON, unknown fields, canonical base64', async () => {
    const refusal = async (extra: string) => {
      const { api, keys } = coordinator();
      const upload = new Upload(api, 'job_x', ndjsonSource(ndjson(3, extra)), SIZES, options(new MemoryStorage()));
      const end = await upload.run();
      expect(keys).toEqual([]);
      return end.state === 'refused' ? end.message : end.state;
    };
    expect(await refusal('{"input": "AAAAAA==",}\n')).toMatch(/^inputs\.ndjson line 4, column 22: not JSON/);
    expect(await refusal('{"input":"AAAAAA==","tga":"x"}\n')).toMatch(/^inputs\.ndjson line 4: .*tga/);
    // 'AAAAAB==' has bits past the data: the coordinator refuses it, so the page must too.
    expect(await refusal('{"input":"AAAAAB=="}\n')).toBe('inputs.ndjson line 4: input is not base64');
  });

  it('names a line that is not UTF-8 (a Latin-1 tag) and sends nothing, where it used to send U+FFFD', async () => {
    const { api, keys } = coordinator();
    const latin1 = new File(
      [`${unit(0)}\n{"input":"AAAAAA==","tag":"caf`, new Uint8Array([0xe9]), '"}\n'],
      'inputs.ndjson',
    );
    const upload = new Upload(api, 'job_x', ndjsonSource(latin1), SIZES, options(new MemoryStorage()));
    expect(await upload.run()).toMatchObject({ state: 'refused', message: 'inputs.ndjson line 2: not UTF-8 text' });
    expect(keys).toEqual([]);
  });

  it('reads UTF-8 lines whole across read chunks: a byte-order mark, CRLF ends, multibyte tags', async () => {
    const { api, lines } = coordinator();
    // ~650 KB: many chunks of the file's stream, some cut inside a line and inside an é.
    const many = Array.from({ length: 5000 }, (_, i) =>
      JSON.stringify({ input: 'AAAAAA==', tag: `${i}${'é'.repeat(60)}` }),
    );
    const file = new File([`\uFEFF${unit(1)}\r\n\r\n${many.join('\r\n')}`], 'inputs.ndjson');
    const upload = new Upload(api, 'job_x', ndjsonSource(file), SIZES, options(new MemoryStorage()));
    expect(await upload.run()).toMatchObject({ state: 'done', units: { sent: 5001 } });
    expect(lines).toEqual([unit(1), ...many]);
  });

  it("refuses a unit outside the job's input checks before sending anything, from a file or from NDJSON", async () => {
    const spec = JobSpec.parse({
      kind: 'wgsl',
      shader: 'a'.repeat(64),
      entryPoint: 'main',
      bindings: [
        { binding: 0, name: 'input', role: 'input', type: 'read', size: 4 },
        { binding: 1, name: 'output', role: 'output', type: 'read_write', size: 4 },
      ],
      dispatch: [1, 1, 1],
      inputChecks: [{ name: 'n', offset: 0, type: 'u32', max: '1000' }],
    });
    const shape = { ...SIZES, spec };
    const { api, keys } = coordinator();
    const over = new Uint8Array(new Uint32Array([1001]).buffer);
    const files = [
      { path: 'in/a.bin', file: new File([new Uint8Array(new Uint32Array([7]).buffer)], 'a.bin') },
      { path: 'in/b.bin', file: new File([over], 'b.bin') },
    ];
    expect(
      await new Upload(api, 'job_x', binarySource(files), shape, options(new MemoryStorage())).run(),
    ).toMatchObject({
      state: 'refused',
      message: "in/b.bin: n = 1001 is above the job's maximum 1000",
    });
    const lines = ndjson(2, `${JSON.stringify({ input: toBase64(over) })}\n`);
    expect(
      await new Upload(api, 'job_x', ndjsonSource(lines), shape, options(new MemoryStorage())).run(),
    ).toMatchObject({
      state: 'refused',
      message: "inputs.ndjson line 3: n = 1001 is above the job's maximum 1000",
    });
    expect(keys).toEqual([]);
  });

  it('stops on cancel, keeping what was committed, and can resume', async () => {
    const storage = new MemoryStorage();
    const { api, lines } = coordinator();
    const upload = new Upload(api, 'job_x', ndjsonSource(ndjson(1000)), SIZES, options(storage));
    upload.subscribe((p) => p.units.sent === 200 && upload.cancel());
    expect(await upload.run()).toMatchObject({
      state: 'cancelled',
      units: { sent: 200 },
      message: 'Cancelled: 200 of 1,000 work units were added; Resume sends the rest.',
    });
    expect(lines).toHaveLength(200);
    const resumed = new Upload(api, 'job_x', ndjsonSource(ndjson(1000)), SIZES, options(storage));
    expect(await resumed.run()).toMatchObject({ state: 'done', units: { sent: 1000 } });
    expect(lines).toHaveLength(1000);
  });

  it('sends binary files as one unit each, tagged with their path, and refuses a file of the wrong size', async () => {
    const { api, lines } = coordinator();
    const files = [2, 0, 1].map((n) => ({
      path: `in/${n}.bin`,
      file: new File([new Uint8Array([n, 1, 2, 3])], `${n}.bin`, { lastModified: 1 }),
    }));
    expect(
      await new Upload(api, 'job_x', binarySource(files), SIZES, options(new MemoryStorage())).run(),
    ).toMatchObject({
      state: 'done',
      units: { sent: 3, total: 3 },
      bytes: { sent: 12, total: 12 },
    });
    expect(lines.map((l) => JSON.parse(l).tag)).toEqual(['in/0.bin', 'in/1.bin', 'in/2.bin']);
    const odd = [...files, { path: 'in/odd.bin', file: new File([new Uint8Array(3)], 'odd.bin') }];
    expect(await new Upload(api, 'job_x', binarySource(odd), SIZES, options(new MemoryStorage())).run()).toMatchObject({
      state: 'refused',
      message: "in/odd.bin is 3 bytes; each input file must be the job's 4",
    });
  });
});

describe('inFileTerms', () => {
  it("turns the coordinator's line of a batch into the file's line", () => {
    const batch = { index: 2, units: 3, before: 200, sourceBytes: 0, body: new Blob([]), lines: [210, 212, 213] };
    const failure = { status: 400, code: 'bad_request', message: 'line 2: input is not base64' };
    expect(inFileTerms(failure, batch, 'in.ndjson')).toBe('in.ndjson line 212: input is not base64');
    expect(inFileTerms(failure, { ...batch, lines: null }, '3 files')).toBe(
      'work unit 202 of 3 files: input is not base64',
    );
  });
});
