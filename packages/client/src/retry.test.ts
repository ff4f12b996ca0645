// A 429 is waited out and the same request sent again; past the retries, the 429 is the answer.
import { describe, expect, it } from 'vitest';
import { type Fetch, retryAfterMs, retrying } from './retry';

describe('retrying', () => {
  it('resends the same request, body included, after each 429, waiting what Retry-After says', async () => {
    const bodies: string[] = [];
    const waits: number[] = [];
    let calls = 0;
    const fetch: Fetch = async (request) => {
      bodies.push(await request.text());
      return ++calls < 3 ? new Response('{}', { status: 429, headers: { 'retry-after': '2' } }) : new Response('ok');
    };
    const send = retrying(fetch, { maxRetries: 5, maxWaitMs: 30_000, sleep: async (ms) => void waits.push(ms) });
    const response = await send(new Request('http://x/', { method: 'POST', body: 'batch' }));
    expect(await response.text()).toBe('ok');
    expect(bodies).toEqual(['batch', 'batch', 'batch']);
    expect(waits).toEqual([2000, 2000]);
  });

  it('gives the 429 back after the last retry', async () => {
    let calls = 0;
    const fetch: Fetch = async () => {
      calls++;
      return new Response('{}', { status: 429 });
    };
    const send = retrying(fetch, { maxRetries: 2, maxWaitMs: 10, sleep: async () => undefined });
    expect((await send(new Request('http://x/'))).status).toBe(429);
    expect(calls).toBe(3);
  });

  it('reads Retry-After as seconds or as a date, and caps nothing it cannot read', () => {
    expect(retryAfterMs('0')).toBe(0);
    expect(retryAfterMs('1.5')).toBe(1500);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(retryAfterMs('soon')).toBe(1000);
    expect(retryAfterMs(null)).toBe(1000);
  });
});
