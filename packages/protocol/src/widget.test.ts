import { describe, expect, it } from 'vitest';
import { FrameMessage, HostCommand, isEmbeddingOrigin, ProjectEmbedding } from './widget';

describe('isEmbeddingOrigin', () => {
  it('accepts https origins and http on localhost or 127.0.0.1', () => {
    for (const origin of [
      'https://example.org',
      'https://news.example.co.uk:8443',
      'https://xn--bcher-kva.de',
      'http://localhost:9000',
      'http://127.0.0.1:5173',
      'http://localhost',
    ])
      expect(isEmbeddingOrigin(origin), origin).toBe(true);
  });

  it('refuses anything that is not an origin in the form browsers send', () => {
    for (const text of [
      'https://example.org/', // a path
      'https://example.org/page',
      'https://Example.org', // not lowercase
      'https://example.org:443', // a default port written out
      'https://user@example.org',
      'https://example.org?x=1',
      'example.org',
      '*',
      "'self'",
      'http://example.org', // plain http off localhost
      'http://192.168.1.2:8080',
      'ftp://example.org',
      'data:text/html,hi',
      'https://bücher.de', // IDN must be given as punycode
      '',
    ])
      expect(isEmbeddingOrigin(text), text).toBe(false);
  });

  it('refuses hosts that would change the meaning of a CSP header', () => {
    // Legal in WHATWG URL hosts, so `new URL` alone lets them through.
    for (const text of [
      'https://*.example.org',
      'https://a;b.example.org',
      "https://a'b.example.org",
      'https://a,b.example.org',
      'https://[::1]:8443',
    ])
      expect(isEmbeddingOrigin(text), text).toBe(false);
  });

  it('bounds the list a project may set', () => {
    expect(ProjectEmbedding.safeParse({ origins: [] }).success).toBe(true);
    const many = Array.from({ length: 65 }, (_, i) => `https://h${i}.example.org`);
    expect(ProjectEmbedding.safeParse({ origins: many }).success).toBe(false);
    expect(ProjectEmbedding.safeParse({ origins: ['https://example.org', 'nope'] }).success).toBe(false);
  });
});

describe('widget messages', () => {
  it('parses the commands a host may send and nothing else', () => {
    expect(HostCommand.safeParse({ type: 'bricolage:start' }).success).toBe(true);
    expect(HostCommand.safeParse({ type: 'bricolage:consent' }).success).toBe(false);
    expect(HostCommand.safeParse('bricolage:start').success).toBe(false);
  });

  it('has no room for a key or receipts in what the frame sends', () => {
    const status = FrameMessage.parse({
      type: 'bricolage:status',
      state: 'computing',
      pauseReason: null,
      computed: 3,
      credited: 2,
      credit: 20,
      remembered: true,
      volunteer: 'a key the frame must not send',
      receipts: [{}],
    });
    expect(Object.keys(status).sort()).toEqual([
      'computed',
      'credit',
      'credited',
      'pauseReason',
      'remembered',
      'state',
      'type',
    ]);
  });
});
