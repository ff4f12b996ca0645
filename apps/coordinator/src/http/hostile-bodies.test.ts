// Large and hostile request bodies against a real coordinator over loopback HTTP, at its default size caps:
// inputs, known answers and results of 4, 8 and 32 MiB through every route that takes base64, and long or
// deeply nested values where a schema expects short ones. Each must be a success or a clear 4xx, never a 5xx.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API, ErrorBody, type ErrorCode, type Lease } from '@bricolage/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, seededRandom } from '../clock';
import { sha256Hex } from '../hash';
import { type Coordinator, startCoordinator } from '../server';
import { Researcher, squareJob } from '../testing/fixtures';
import { type RawReply, type RawRequest, sendRaw } from '../testing/raw-http';
import { SimVolunteer } from '../testing/sim-volunteer';

const MiB = 1024 * 1024;
/** The job's input and output are 4 MiB each, so 4 MiB fits, 8 MiB is the wrong size and 32 MiB is over the caps. */
const SIZE = 4 * MiB;
const UNLIMITED = { perSecond: 1_000_000, burst: 1_000_000_000 };

/** `n` bytes that differ with `seed`, and their base64 (Buffer's, which is native and fast). */
function payload(n: number, seed: string): { bytes: Buffer; base64: string } {
  const bytes = Buffer.alloc(n, seed);
  return { bytes, base64: bytes.toString('base64') };
}

function expectError(reply: RawReply, status: number, code: ErrorCode, message?: RegExp): void {
  expect(reply.status, reply.text.slice(0, 300)).toBe(status);
  expect(reply.contentType).toMatch(/^application\/json\b/);
  const body = ErrorBody.parse(JSON.parse(reply.text));
  expect(body.error.code).toBe(code);
  if (message) expect(body.error.message).toMatch(message);
}

describe('bodies of 4, 8 and 32 MiB, at the default caps', () => {
  let dir = '';
  let coordinator: Coordinator;
  let researcher: Researcher;
  let job = '';
  let volunteer: SimVolunteer;

  const upload = (line: Record<string, string>): Promise<RawReply> =>
    sendRaw(coordinator.url, {
      method: 'POST',
      path: API.workUnits(job),
      token: researcher.token,
      type: 'application/x-ndjson',
      body: `${JSON.stringify(line)}\n`,
    });
  const submit = (body: unknown): Promise<RawReply> =>
    sendRaw(coordinator.url, {
      method: 'POST',
      path: API.submit,
      token: volunteer.bearer,
      type: 'application/json',
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const counts = async () => {
    const p = await researcher.progress(job);
    return { unsent: p.counts.unsent, knownAnswer: p.knownAnswer };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-bodies-'));
    coordinator = await startCoordinator({
      dataDir: dir,
      clock: new ManualClock(),
      random: seededRandom(11),
      config: { perAddress: UNLIMITED, perVolunteer: UNLIMITED, sweepMs: 3_600_000 },
      log: () => undefined,
    });
    const { token } = await coordinator.createProject('bodies');
    researcher = new Researcher(coordinator.url, token);
    const spec = squareJob().spec;
    if (spec.kind !== 'wgsl') throw new Error('the square job is WGSL');
    job = await researcher.createSquareJob({
      leaseSeconds: 3600,
      redundancy: { minQuorum: 1, maxTotalResults: 2, maxErrorResults: 1, homogeneous: false },
      spec: {
        ...spec,
        bindings: [
          { binding: 0, name: 'xs', type: 'read', role: 'input', size: SIZE },
          { binding: 1, name: 'ys', type: 'read_write', role: 'output', size: SIZE },
        ],
      },
    });
    volunteer = await SimVolunteer.create(coordinator.url);
  });

  afterAll(async () => {
    await coordinator?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('work-unit inputs: 4 MiB is added, 8 MiB is the wrong size, 32 MiB is over the line cap', async () => {
    const fits = await upload({ input: payload(SIZE, 'in-4').base64 });
    expect(fits.status, fits.text).toBe(200);
    expect(JSON.parse(fits.text)).toMatchObject({ added: 1, knownAnswer: 0 });
    expectError(await upload({ input: payload(8 * MiB, 'in-8').base64 }), 400, 'bad_request', /input is 8388608 bytes/);
    expectError(await upload({ input: payload(32 * MiB, 'in-32').base64 }), 413, 'payload_too_large');
    expect(await counts()).toEqual({ unsent: 1, knownAnswer: 0 });
  });

  it('known answers: 4 MiB is added, 8 MiB is the wrong size, 32 MiB is over the line cap', async () => {
    const input = payload(SIZE, 'probe-in').base64;
    const fits = await upload({ input, expected: payload(SIZE, 'ex-4').base64 });
    expect(fits.status, fits.text).toBe(200);
    expect(JSON.parse(fits.text)).toMatchObject({ added: 0, knownAnswer: 1 });
    expectError(
      await upload({ input, expected: payload(8 * MiB, 'ex-8').base64 }),
      400,
      'bad_request',
      /expected is 8388608 bytes/,
    );
    expectError(await upload({ input, expected: payload(32 * MiB, 'ex-32').base64 }), 413, 'payload_too_large');
    expect(await counts()).toEqual({ unsent: 1, knownAnswer: 1 });
  });

  it('stages an upload of large inputs in chunks of bounded size, not 1,000 lines at a time', async () => {
    const staged: number[] = [];
    const store = coordinator.store;
    const stage = store.stageWorkUnits.bind(store);
    store.stageWorkUnits = async (job, batch, units, now) => {
      staged.push(units.reduce((n, u) => n + u.input.length + (u.expected?.length ?? 0), 0));
      return stage(job, batch, units, now);
    };
    try {
      const body = Array.from({ length: 20 }, (_, i) => JSON.stringify({ input: payload(SIZE, `many-${i}`).base64 }));
      const reply = await sendRaw(coordinator.url, {
        method: 'POST',
        path: API.workUnits(job),
        token: researcher.token,
        type: 'application/x-ndjson',
        body: `${body.join('\n')}\n`,
      });
      expect(reply.status, reply.text).toBe(200);
      expect(JSON.parse(reply.text)).toMatchObject({ added: 20 });
    } finally {
      store.stageWorkUnits = stage;
    }
    // 80 MiB of inputs: held and written a few lines at a time, never all at once.
    expect(staged.reduce((a, b) => a + b, 0)).toBe(20 * SIZE);
    expect(Math.max(...staged)).toBeLessThanOrEqual(32 * MiB);
    expect(await counts()).toEqual({ unsent: 21, knownAnswer: 1 });
  });

  it('results: 8 MiB is the wrong size, 32 MiB is over the JSON cap, 4 MiB is accepted and downloaded', async () => {
    const [lease] = (await volunteer.lease(1)).leases as [Lease];
    const result = (p: { bytes: Buffer; base64: string }) => ({
      results: [
        {
          kind: 'ok',
          lease: lease.lease,
          output: p.base64,
          outputHash: sha256Hex(p.bytes),
          backend: 'webgpu',
          elapsedMs: 1,
        },
      ],
    });
    expectError(await submit(result(payload(8 * MiB, 'out-8'))), 400, 'bad_request', /output is 8388608 bytes/);
    expectError(await submit(result(payload(32 * MiB, 'out-32'))), 413, 'payload_too_large');
    const output = payload(SIZE, 'out-4');
    const accepted = await submit(result(output));
    expect(accepted.status, accepted.text).toBe(200);
    expect(JSON.parse(accepted.text)).toEqual({ accepted: 1, repeated: 0 });
    const line = (await researcher.results(job)).find((r) => r.workUnit === lease.workUnit);
    expect(line).toMatchObject({ state: 'validated', outputHash: sha256Hex(output.bytes) });
    expect(line?.output === output.base64).toBe(true);
  });
});

describe('long and deeply nested values where a schema expects short ones', () => {
  let dir = '';
  let coordinator: Coordinator;
  let volunteer: SimVolunteer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-bodies-'));
    coordinator = await startCoordinator({
      dataDir: dir,
      clock: new ManualClock(),
      random: seededRandom(12),
      config: { perAddress: UNLIMITED, perVolunteer: UNLIMITED, sweepMs: 3_600_000 },
      log: () => undefined,
    });
    volunteer = await SimVolunteer.create(coordinator.url);
  });

  afterAll(async () => {
    await coordinator?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const long = 'a'.repeat(8 * MiB);
  const jsonPost = (path: string, body: string, token?: string): RawRequest => ({
    method: 'POST',
    path,
    type: 'application/json',
    body,
    ...(token === undefined ? {} : { token }),
  });
  const okItem = { kind: 'ok', lease: 'ls_1', output: 'AAAA', outputHash: 'ab'.repeat(32), backend: 'webgpu' };
  const cases: readonly { name: string; req: () => RawRequest }[] = [
    {
      name: 'an 8 MiB outputHash',
      req: () => jsonPost(API.submit, JSON.stringify({ results: [{ ...okItem, outputHash: long }] }), volunteer.bearer),
    },
    {
      name: 'an 8 MiB lease id',
      req: () =>
        jsonPost(API.submit, JSON.stringify({ results: [{ ...okItem, lease: `ls_${long}` }] }), volunteer.bearer),
    },
    {
      name: 'an output of 8 MiB of base64 with one bad character at the end',
      req: () =>
        jsonPost(
          API.submit,
          JSON.stringify({ results: [{ ...okItem, output: `${'A'.repeat(8 * MiB - 4)}AA*A` }] }),
          volunteer.bearer,
        ),
    },
    {
      name: 'an 8 MiB volunteer key',
      req: () => jsonPost(API.challenge, JSON.stringify({ volunteer: long })),
    },
    {
      name: 'an 8 MiB signature',
      req: () =>
        jsonPost(API.token, JSON.stringify({ volunteer: volunteer.key, challenge: 'c'.repeat(43), signature: long })),
    },
    {
      name: 'results nested a million arrays deep',
      req: () => jsonPost(API.submit, `{"results":${'['.repeat(1e6)}${']'.repeat(1e6)}}`, volunteer.bearer),
    },
    {
      name: 'a result nested a million objects deep',
      req: () => jsonPost(API.submit, `{"results":[${'{"a":'.repeat(1e6)}1${'}'.repeat(1e6)}]}`, volunteer.bearer),
    },
  ];

  for (const c of cases)
    it(`${c.name}: a 400`, async () => {
      expectError(await sendRaw(coordinator.url, c.req()), 400, 'bad_request');
    });

  it('stays healthy afterwards', async () => {
    expect((await fetch(coordinator.url + API.health)).status).toBe(200);
  });
});
