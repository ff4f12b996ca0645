import { describe, expect, it } from 'vitest';
import {
  bucketOf,
  clientAddress,
  inList,
  listCheck,
  normalizeAddress,
  parseAddressList,
  parseTrustedProxies,
  type TrustedProxies,
} from './client-address';

const proxies = (spec: string): TrustedProxies => {
  const parsed = parseTrustedProxies(spec);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
};

describe('clientAddress', () => {
  it('is the peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientAddress('203.0.113.9', '198.51.100.1', proxies(''))).toBe('203.0.113.9');
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    expect(clientAddress('203.0.113.9', '198.51.100.1', proxies('10.0.0.0/8'))).toBe('203.0.113.9');
  });

  it('believes a trusted proxy about the hop it received the request from', () => {
    expect(clientAddress('10.1.2.3', '198.51.100.1', proxies('10.0.0.0/8'))).toBe('198.51.100.1');
  });

  it('reads the hops from the right and stops at the first untrusted one, so a client cannot forge its own', () => {
    // The client sent "X-Forwarded-For: 1.1.1.1"; the edge proxy appended what it saw, then an inner proxy.
    expect(clientAddress('10.0.0.2', '1.1.1.1, 198.51.100.7, 10.0.0.1', proxies('10.0.0.0/8'))).toBe('198.51.100.7');
  });

  it('stops at a hop that is not an address and keeps the last one it could vouch for', () => {
    expect(clientAddress('10.0.0.2', '198.51.100.7, not-an-ip, 10.0.0.1', proxies('10.0.0.0/8'))).toBe('10.0.0.1');
    expect(clientAddress('10.0.0.2', 'garbage', proxies('10.0.0.0/8'))).toBe('10.0.0.2');
  });

  it('is the leftmost hop when every hop is a trusted proxy', () => {
    expect(clientAddress('127.0.0.1', '10.0.0.5, 10.0.0.1', proxies('loopback, private'))).toBe('10.0.0.5');
  });

  it('treats an IPv4-mapped IPv6 peer as the IPv4 address it is', () => {
    expect(clientAddress('::ffff:127.0.0.1', '2001:db8::1', proxies('loopback'))).toBe('2001:db8::1');
    expect(normalizeAddress('::FFFF:192.0.2.1')).toBe('192.0.2.1');
  });
});

describe('parseTrustedProxies', () => {
  it('accepts addresses, CIDR blocks and the named sets', () => {
    const list = proxies('192.0.2.1, 2001:db8::/32, loopback');
    expect(list?.check('192.0.2.1', 'ipv4')).toBe(true);
    expect(list?.check('192.0.2.2', 'ipv4')).toBe(false);
    expect(list?.check('2001:db8:ffff::9', 'ipv6')).toBe(true);
    expect(list?.check('127.0.0.9', 'ipv4')).toBe(true);
    expect(list?.check('::1', 'ipv6')).toBe(true);
  });

  it('refuses what is not an address or a block, naming it', () => {
    for (const bad of ['proxy.example', '10.0.0.0/33', '::/129', '10.0.0.0/8/1', '10.0.0.0/x']) {
      const parsed = parseTrustedProxies(bad);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.error.message).toContain(bad);
    }
  });

  it('reads SEPARATION_EXEMPT the same way, its errors naming that setting', () => {
    const parsed = parseAddressList('loopback, 10.1.0.0/16', 'SEPARATION_EXEMPT');
    expect(parsed.ok && inList(parsed.value, '10.1.2.3')).toBe(true);
    expect(parsed.ok && inList(parsed.value, '::1')).toBe(true);
    expect(parsed.ok && inList(parsed.value, '10.2.0.1')).toBe(false);
    expect(parseAddressList('', 'SEPARATION_EXEMPT')).toEqual({ ok: true, value: null });
    const bad = parseAddressList('farm.local', 'SEPARATION_EXEMPT');
    expect(bad.ok === false && bad.error.message).toBe(
      'SEPARATION_EXEMPT: "farm.local" is not an address, a CIDR block, loopback or private',
    );
  });
});

describe('bucketOf', () => {
  it('puts every address of one IPv6 /64 in one bucket', () => {
    expect(bucketOf('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(bucketOf('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(bucketOf('2001:0db8:0001:0002:0:0:0:7')).toBe('2001:db8:1:2::/64');
    expect(bucketOf('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
  });

  it('expands :: wherever it sits, and a trailing dotted quad', () => {
    expect(bucketOf('::1')).toBe('0:0:0:0::/64');
    expect(bucketOf('fe80::1:2:3:4')).toBe('fe80:0:0:0::/64');
    expect(bucketOf('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
  });

  it('keeps IPv4 addresses whole', () => {
    expect(bucketOf('192.0.2.1')).toBe('192.0.2.1');
    expect(bucketOf('192.0.2.2')).toBe('192.0.2.2');
  });

  it('answers a list check as inList does, however many addresses it is asked about', () => {
    const parsed = parseAddressList('loopback, 10.1.0.0/16', 'SEPARATION_EXEMPT');
    if (!parsed.ok) throw new Error(parsed.error.message);
    const exempt = listCheck(parsed.value);
    // Twice each, and past the memory's bound, so that remembered and forgotten answers are both asked for.
    for (let round = 0; round < 2; round++)
      for (let i = 0; i < 5000; i++) {
        const address = `10.${i % 3}.${(i >> 8) & 255}.${i & 255}`;
        expect(exempt(address)).toBe(inList(parsed.value, address));
      }
    expect(exempt('::1')).toBe(true);
    expect(exempt('not an address')).toBe(false);
    expect(listCheck(null)('127.0.0.1')).toBe(false);
  });
});
