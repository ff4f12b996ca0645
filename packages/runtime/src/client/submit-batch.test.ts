import { describe, expect, it } from 'vitest';
import { failureOf } from './answers';
import { failure } from './fakes';
import { judgeBatch } from './submit-batch';

describe('judging a submitted batch', () => {
  it('settles a batch the coordinator accepted, counting repeats', () => {
    expect(judgeBatch(3, { ok: true, value: { accepted: 1, repeated: 2 } })).toEqual({
      kind: 'settled',
      accepted: 1,
      repeated: 2,
    });
  });

  it('drops the item a 4xx names and keeps the rest', () => {
    expect(judgeBatch(3, failure(410, 'lease_expired', 1))).toMatchObject({ kind: 'drop', index: 1 });
  });

  it('drops a lone item rejected without an index', () => {
    expect(judgeBatch(1, failure(409, 'duplicate_result'))).toMatchObject({ kind: 'drop', index: 0 });
  });

  it('splits a batch rejected without an index, or with an index out of range', () => {
    expect(judgeBatch(3, failure(413, 'payload_too_large'))).toMatchObject({ kind: 'split' });
    expect(judgeBatch(3, failure(400, 'bad_request', 7))).toMatchObject({ kind: 'split' });
  });

  it('retries the whole batch on network failures, gateway errors, unavailability, rate limiting and auth trouble', () => {
    for (const f of [
      failure(0, 'network'),
      failure(502, 'internal'),
      failure(503, 'internal'),
      failure(504, 'internal'),
      failure(429, 'rate_limited'),
      failure(401, 'unauthorized', 0),
    ])
      expect(judgeBatch(2, f)).toMatchObject({ kind: 'retry' });
  });

  it('suspects the items of a batch the coordinator failed on itself (500), alone or not', () => {
    for (const size of [1, 2, 50])
      expect(judgeBatch(size, failure(500, 'internal'))).toMatchObject({ kind: 'suspect' });
    expect(judgeBatch(2, failure(507, 'internal'))).toMatchObject({ kind: 'suspect' });
  });

  it('retries a batch a proxy refused with a page of its own (a 4xx with no error body): it drops nothing', async () => {
    const proxy = await failureOf(new Response('<html><h1>404 Not Found</h1></html>', { status: 404 }));
    expect(judgeBatch(3, { ok: false, error: proxy })).toMatchObject({ kind: 'retry' });
    expect(judgeBatch(1, { ok: false, error: proxy })).toMatchObject({ kind: 'retry' });
    const firewall = await failureOf(new Response('Forbidden', { status: 403 }));
    expect(judgeBatch(1, { ok: false, error: firewall })).toMatchObject({ kind: 'retry' });
    // The coordinator's own refusal, in its error body, is final for the item it names.
    const refused = await failureOf(
      Response.json({ error: { code: 'not_found', message: 'no such lease' } }, { status: 404 }),
    );
    expect(judgeBatch(1, { ok: false, error: refused })).toMatchObject({ kind: 'drop', index: 0 });
    // A proxy's 413 still says the body is too large: the batch goes in smaller parts.
    const tooLarge = await failureOf(new Response('Request Entity Too Large', { status: 413 }));
    expect(judgeBatch(3, { ok: false, error: tooLarge })).toMatchObject({ kind: 'split' });
  });
});
