import {
  API,
  authMessageBody,
  domainMessage,
  generateSigningKeyPair,
  LEASE_FRAME_ACCEPT,
  LEASE_FRAME_TYPE,
  type LeaseResponse,
  sha256Hex,
  toBase64,
  verify,
  writeLeaseFrame,
} from '@bricolage/protocol';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { CoordinatorClient, leaveBudget, renewAt, type VolunteerIdentity } from './coordinator-client';

interface Call {
  method: string;
  path: string;
  auth: string | null;
  accept: string | null;
  body: unknown;
}

/** A scripted coordinator: routes answer from `handlers`, every call is recorded. */
function fakeCoordinator(handlers: Record<string, (call: Call, n: number) => Response | Promise<Response>>) {
  const calls: Call[] = [];
  const counts = new Map<string, number>();
  const fetch = (async (url: string | URL, init?: RequestInit) => {
    const u = new URL(String(url));
    const call: Call = {
      method: init?.method ?? 'GET',
      path: u.pathname,
      auth: new Headers(init?.headers).get('authorization'),
      accept: new Headers(init?.headers).get('accept'),
      body: init?.body ? JSON.parse(String(init.body)) : null,
    };
    calls.push(call);
    const key = `${call.method} ${call.path}`;
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    const handler = handlers[key];
    if (!handler) return Response.json({ error: { code: 'not_found', message: key } }, { status: 404 });
    return handler(call, n);
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

/** Runs `test` with a client (a 300 ms timeout) of a real HTTP server on loopback answering with `handler`. */
async function onLoopback(handler: RequestListener, test: (client: CoordinatorClient) => Promise<void>): Promise<void> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    await test(new CoordinatorClient({ coordinator: `http://127.0.0.1:${port}`, identity, requestTimeoutMs: 300 }));
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

let identity: VolunteerIdentity;
beforeAll(async () => {
  identity = await generateSigningKeyPair();
});

const auth = (tokens: string[], expiresIn = 900_000) => ({
  'POST /v1/auth/challenge': (_: Call, n: number) =>
    Response.json({ challenge: `challenge-number-${n}-abcdef`, expiresAt: Date.now() + 60_000 }),
  'POST /v1/auth/token': (_: Call, n: number) =>
    Response.json({ token: tokens[n - 1] ?? 'tok-last', expiresAt: Date.now() + expiresIn }),
});

const emptyLease = () => Response.json({ leases: [], jobs: [], retryAfter: 10 });
const capabilities = {
  webgpu: null,
  wasm: true,
  onnx: { providers: ['wasm' as const] },
  hardwareConcurrency: 2,
  backends: { wgsl: 'wasm' as const, onnx: 'onnx-wasm' as const },
};

describe('coordinator client', () => {
  it('signs the domain-separated challenge and then uses the bearer token', async () => {
    const { fetch, calls } = fakeCoordinator({ ...auth(['tok-1']), 'POST /v1/volunteer/lease': emptyLease });
    const client = new CoordinatorClient({ coordinator: 'http://coord.test/', identity, fetch });
    const answer = await client.lease({ capabilities, max: 2 });
    expect(answer).toMatchObject({ ok: true, value: { leases: [], retryAfter: 10 } });
    const tokenCall = calls.find((c) => c.path === API.token)!;
    const body = tokenCall.body as { volunteer: string; challenge: string; signature: string };
    expect(body.volunteer).toBe(identity.publicKeyText);
    const message = domainMessage('auth', authMessageBody(body.challenge, identity.publicKeyText));
    expect(await verify(identity.publicKeyText, message, body.signature)).toBe(true);
    expect(calls.at(-1)).toMatchObject({ path: API.lease, auth: 'Bearer tok-1' });
    await client.lease({ capabilities, max: 1 });
    expect(calls.filter((c) => c.path === API.token)).toHaveLength(1);
  });

  it('authenticates once for concurrent requests', async () => {
    const { fetch, calls } = fakeCoordinator({ ...auth(['tok-1']), 'POST /v1/volunteer/lease': emptyLease });
    const client = new CoordinatorClient({ coordinator: 'http://coord.test', identity, fetch });
    await Promise.all([1, 2, 3].map(() => client.lease({ capabilities, max: 1 })));
    expect(calls.filter((c) => c.path === API.challenge)).toHaveLength(1);
  });

  it('renews the token before it expires', async () => {
    let now = 1_000_000;
    const { fetch, calls } = fakeCoordinator({
      'POST /v1/auth/challenge': () => Response.json({ challenge: 'challenge-abcdefghijkl', expiresAt: now + 1000 }),
      'POST /v1/auth/token': (_, n) => Response.json({ token: `tok-${n}`, expiresAt: now + 600_000 }),
      'POST /v1/volunteer/lease': emptyLease,
    });
    const client = new CoordinatorClient({ coordinator: 'http://coord.test', identity, fetch, now: () => now });
    await client.lease({ capabilities, max: 1 });
    now += 600_000 - 61_000;
    await client.lease({ capabilities, max: 1 });
    expect(calls.at(-1)?.auth).toBe('Bearer tok-1');
    now += 2_000;
    await client.lease({ capabilities, max: 1 });
    expect(calls.at(-1)?.auth).toBe('Bearer tok-2');
    expect(renewAt(0, 100_000)).toBe(75_000);
  });

  it('re-authenticates once when the coordinator says the token expired', async () => {
    const { fetch, calls } = fakeCoordinator({
      ...auth(['tok-old', 'tok-new']),
      'POST /v1/volunteer/lease': (call) =>
        call.auth === 'Bearer tok-old'
          ? Response.json({ error: { code: 'token_expired', message: 'expired' } }, { status: 401 })
          : emptyLease(),
    });
    const client = new CoordinatorClient({ coordinator: 'http://coord.test', identity, fetch });
    expect((await client.lease({ capabilities, max: 1 })).ok).toBe(true);
    expect(calls.filter((c) => c.path === API.lease).map((c) => c.auth)).toEqual(['Bearer tok-old', 'Bearer tok-new']);
  });

  it('turns error bodies into failures with code, index, status and transience', async () => {
    const { fetch } = fakeCoordinator({
      ...auth(['tok']),
      'POST /v1/volunteer/submit': (_, n) =>
        n === 1
          ? Response.json({ error: { code: 'lease_expired', message: 'too late', index: 2 } }, { status: 410 })
          : new Response('<html>bad gateway</html>', { status: 502 }),
    });
    const client = new CoordinatorClient({ coordinator: 'http://coord.test', identity, fetch });
    expect(await client.submit([])).toEqual({
      ok: false,
      error: { code: 'lease_expired', message: 'too late', index: 2, status: 410, transient: false },
    });
    expect(await client.submit([])).toMatchObject({
      ok: false,
      error: { code: 'internal', status: 502, transient: true },
    });
  });

  it('reports a network failure as transient', async () => {
    const fetch = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof globalThis.fetch;
    const client = new CoordinatorClient({ coordinator: 'http://coord.test', identity, fetch });
    expect(await client.blob('0'.repeat(64))).toMatchObject({
      ok: false,
      error: { code: 'network', status: 0, transient: true },
    });
  });

  it('gives up on a coordinator that takes the request and never answers, as a transient failure that says so', async () => {
    // A real server on loopback that reads requests and answers none of them.
    await onLoopback(
      () => undefined,
      async (client) => {
        const started = performance.now();
        const blob = await client.blob('0'.repeat(64));
        const lease = await client.lease({ capabilities, max: 1 });
        expect(performance.now() - started).toBeLessThan(5_000);
        for (const answer of [blob, lease])
          expect(answer).toMatchObject({
            ok: false,
            error: {
              code: 'network',
              status: 0,
              transient: true,
              // The challenge's few bytes of body are given a few milliseconds to go out.
              message: expect.stringMatching(/^no answer within 3\d\d ms$/),
            },
          });
        expect(blob.ok || blob.error.timedOut).toBe(true);
        // The lease itself was never sent (its token's challenge got no answer): it may not have been done, and it
        // does not say it timed out (a submit batch was halved for it, though it had not gone).
        expect(lease.ok || lease.error.timedOut).toBeUndefined();
      },
    );
  });

  it('gives up on an answer whose body stops coming, a blob and an error answer too', async () => {
    const bytes = new TextEncoder().encode('a model too large to come at once');
    const hash = await sha256Hex(bytes);
    await onLoopback(
      (req, res) => {
        // An error answer too (a proxy stalled after its headers): not a refusal to act on, a cut to retry.
        res.writeHead(req.url === API.ortWasm ? 400 : 200, {
          'content-type': req.url?.startsWith('/v1/blobs/') ? 'application/octet-stream' : 'application/json',
        });
        res.write(req.url === API.blob(hash) ? bytes.slice(0, 8) : '{"projects": [');
        // ...and nothing more: the body never ends.
      },
      async (client) => {
        for (const answer of [await client.projects(), await client.blob(hash), await client.ortWasm()])
          expect(answer).toMatchObject({
            ok: false,
            error: { code: 'network', timedOut: true, message: 'the answer stopped coming for 300 ms' },
          });
      },
    );
  });

  it('reads an answer for as long as its bytes keep coming, past the timeout', async () => {
    // A slow downlink: a blob (a model) and a JSON answer each come in pieces 150 ms apart, 1.2 s in all, four
    // times the client's 300 ms; each piece comes within 300 ms of the last.
    const bytes = new TextEncoder().encode('a model that comes slowly, a piece at a time');
    const hash = await sha256Hex(bytes);
    const json = new TextEncoder().encode(JSON.stringify({ projects: [] }));
    await onLoopback(
      (req, res) => {
        const body = req.url === API.blob(hash) ? bytes : json;
        res.writeHead(200, {
          'content-type': req.url === API.blob(hash) ? 'application/octet-stream' : 'application/json',
        });
        let sent = 0;
        const piece = Math.ceil(body.length / 8);
        const timer = setInterval(() => {
          res.write(body.slice(sent, sent + piece));
          sent += piece;
          if (sent >= body.length) {
            clearInterval(timer);
            res.end();
          }
        }, 150);
      },
      async (client) => {
        const started = performance.now();
        const [blob, projects] = await Promise.all([client.blob(hash), client.projects()]);
        expect(performance.now() - started).toBeGreaterThan(1_000);
        expect(blob.ok && toBase64(blob.value)).toBe(toBase64(bytes));
        expect(projects).toEqual({ ok: true, value: [] });
      },
    );
  });

  it("gives a request's body time to go out on a slow uplink before counting its answer as missing", async () => {
    // fetch() cannot see a body going out, so a slow uplink looks like a coordinator slow to answer: here it answers
    // 900 ms after the request ends, three times the 300 ms timeout. A submit of 40 KiB is given 2.5 s more for its
    // body (16 KiB/s) and gets the answer; a heartbeat, a few bytes, is cut at just over 300 ms.
    await onLoopback(
      (req, res) => {
        req.resume();
        req.on('end', () => {
          if (req.url === API.challenge)
            res.end(JSON.stringify({ challenge: 'challenge-abcdef-123456', expiresAt: Date.now() + 60_000 }));
          else if (req.url === API.token) res.end(JSON.stringify({ token: 'tok', expiresAt: Date.now() + 900_000 }));
          else setTimeout(() => res.end(JSON.stringify({ accepted: 1, repeated: 0 })), 900);
        });
      },
      async (client) => {
        const result = { lease: 'l'.repeat(32), output: 'x'.repeat(40 * 1024) };
        expect(await client.submit([result] as never)).toEqual({ ok: true, value: { accepted: 1, repeated: 0 } });
        // 4 KiB is given 250 ms more at 16 KiB/s, and is cut; told the uplink is 4 KiB/s, a second more, and goes.
        const small = { lease: 'l'.repeat(32), output: 'x'.repeat(4 * 1024) };
        expect(await client.submit([small] as never)).toMatchObject({ ok: false, error: { timedOut: true } });
        expect(await client.submit([small] as never, 4096)).toEqual({ ok: true, value: { accepted: 1, repeated: 0 } });
        expect(await client.heartbeat(['l'.repeat(32)])).toMatchObject({
          ok: false,
          error: { code: 'network', timedOut: true, message: expect.stringMatching(/^no answer within 30\d ms$/) },
        });
      },
    );
  });

  it('returns a blob only when it hashes to its name', async () => {
    const bytes = new TextEncoder().encode('@compute fn main() {}');
    const hash = await sha256Hex(bytes);
    const { fetch } = fakeCoordinator({
      [`GET ${API.blob(hash)}`]: (_, n) => new Response(n === 1 ? bytes : new Uint8Array([1, 2, 3])),
    });
    const client = new CoordinatorClient({ coordinator: 'http://coord.test', identity, fetch });
    const good = await client.blob(hash);
    expect(good.ok && toBase64(good.value)).toBe(toBase64(bytes));
    expect(await client.blob(hash)).toMatchObject({ ok: false, error: { code: 'hash_mismatch', transient: false } });
  });

  it('rejects a response that does not match the protocol schema', async () => {
    const { fetch } = fakeCoordinator({
      ...auth(['tok']),
      'POST /v1/volunteer/lease': () => Response.json({ leases: 'nope' }),
    });
    const client = new CoordinatorClient({ coordinator: 'http://coord.test', identity, fetch });
    expect(await client.lease({ capabilities, max: 1 })).toMatchObject({ ok: false, error: { code: 'internal' } });
  });

  it('asks for a framed lease answer and reads its inputs as bytes, or reads JSON when that is what comes', async () => {
    const input = new Uint8Array([5, 6, 7]);
    const lease = {
      lease: 'ls_1',
      workUnit: 'wu_1',
      job: 'job_0123456789abcdef',
      deadline: 1,
      inputHash: await sha256Hex(input),
      input: null,
    };
    const framed = writeLeaseFrame({ leases: [lease], jobs: [], retryAfter: null } as unknown as LeaseResponse, [
      input,
    ]);
    const answers = [
      () => new Response(framed, { headers: { 'content-type': LEASE_FRAME_TYPE } }),
      () => Response.json({ leases: [{ ...lease, input: toBase64(input) }], jobs: [], retryAfter: null }),
      // Cut short: the head says more leases' bytes than follow.
      () => new Response(framed.subarray(0, framed.length - 1), { headers: { 'content-type': LEASE_FRAME_TYPE } }),
    ];
    const { fetch, calls } = fakeCoordinator({
      ...auth(['tok']),
      'POST /v1/volunteer/lease': (_, n) => answers[n - 1]!(),
    });
    const client = new CoordinatorClient({ coordinator: 'http://coord.test', identity, fetch });
    const first = await client.lease({ capabilities, max: 1 });
    expect(calls.at(-1)?.accept).toBe(LEASE_FRAME_ACCEPT);
    expect(first.ok && first.value.leases.map((l) => [l.input, [...(l.inline ?? [])]])).toEqual([[null, [5, 6, 7]]]);
    const second = await client.lease({ capabilities, max: 1 });
    expect(second.ok && second.value.leases.map((l) => [l.input, l.inline])).toEqual([[toBase64(input), undefined]]);
    expect(await client.lease({ capabilities, max: 1 })).toMatchObject({
      ok: false,
      error: { code: 'internal', message: expect.stringMatching(/runs past the end of the frame/) },
    });
  });

  it('gives back, as the page goes, its leases and its lease request still out, in keepalive requests', async () => {
    const { fetch, calls } = fakeCoordinator({
      ...auth(['tok-1']),
      'POST /v1/volunteer/lease': emptyLease,
      'POST /v1/volunteer/release': () => Response.json({ released: 0 }),
    });
    const client = new CoordinatorClient({ coordinator: 'http://coord.test', identity, fetch });
    await client.lease({ capabilities, max: 1 }); // the token a page going uses
    const request = 'a'.repeat(32);
    const leases = Array.from({ length: 1500 }, (_, i) => `ls_${i + 1}`);
    client.releaseOnLeave(leases, leaveBudget(), [request]);
    client.releaseOnLeave([], leaveBudget(), [request]);
    client.releaseOnLeave(['ls_1'], leaveBudget());
    client.releaseOnLeave([], leaveBudget());
    await new Promise((resolve) => setTimeout(resolve, 0));
    const released = calls.filter((c) => c.path === API.release);
    // 1000 leases a request, the request named with the first; alone when there are no leases; nothing for nothing.
    expect(released.map((c) => c.body)).toEqual([
      { leases: leases.slice(0, 1000), requests: [request] },
      { leases: leases.slice(1000) },
      { leases: [], requests: [request] },
      { leases: ['ls_1'] },
    ]);
    expect(released.every((c) => c.auth === 'Bearer tok-1')).toBe(true);
  });
});
