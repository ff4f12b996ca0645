// Who a request comes from, for rate limits, connection caps and logs: the socket's peer or, behind a
// proxy the operator trusts (TRUST_PROXY), the address that proxy says it forwarded for. Limits count per
// `bucketOf(address)`: an IPv6 subscriber gets a whole /64, so each of its addresses is not a new bucket.
import { BlockList, isIP } from 'node:net';
import type { Result } from '@bricolage/protocol';

/** The proxies whose X-Forwarded-For is believed; `null` believes none (the default). */
export type TrustedProxies = BlockList | null;

/** A set of addresses an operator named (TRUST_PROXY, SEPARATION_EXEMPT); `null` is none. */
export type AddressList = BlockList | null;

/**
 * Parses TRUST_PROXY: a comma-separated list of addresses and CIDR blocks (`10.0.0.0/8, ::1`), or the words
 * `loopback` (127.0.0.0/8 and ::1) and `private` (RFC 1918 and fc00::/7 blocks). Empty means none.
 */
export const parseTrustedProxies = (spec: string): Result<TrustedProxies> => parseAddressList(spec, 'TRUST_PROXY');

/** Parses a list of addresses as TRUST_PROXY is written; errors name `setting`. */
export function parseAddressList(spec: string, setting: string): Result<AddressList> {
  const items = spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) return { ok: true, value: null };
  const list = new BlockList();
  for (const item of items) {
    const named = NAMED[item];
    if (named) {
      for (const [network, prefix, type] of named) list.addSubnet(network, prefix, type);
      continue;
    }
    const [address = '', prefixText, extra] = item.split('/');
    const family = isIP(address);
    const prefix = prefixText === undefined ? null : Number(prefixText);
    const max = family === 6 ? 128 : 32;
    if (
      family === 0 ||
      extra !== undefined ||
      (prefix !== null && !(Number.isInteger(prefix) && prefix >= 0 && prefix <= max))
    )
      return {
        ok: false,
        error: {
          code: 'bad_request',
          message: `${setting}: "${item}" is not an address, a CIDR block, loopback or private`,
        },
      };
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === null) list.addAddress(address, type);
    else list.addSubnet(address, prefix, type);
  }
  return { ok: true, value: list };
}

const NAMED: Record<string, readonly (readonly [string, number, 'ipv4' | 'ipv6'])[]> = {
  loopback: [
    ['127.0.0.0', 8, 'ipv4'],
    ['::1', 128, 'ipv6'],
  ],
  private: [
    ['10.0.0.0', 8, 'ipv4'],
    ['172.16.0.0', 12, 'ipv4'],
    ['192.168.0.0', 16, 'ipv4'],
    ['fc00::', 7, 'ipv6'],
  ],
};

/** `::ffff:1.2.3.4` (how a dual-stack socket shows an IPv4 peer) as `1.2.3.4`; any zone id dropped. */
export function normalizeAddress(address: string): string {
  const bare = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  return mapped ? (mapped[1] as string) : bare.toLowerCase();
}

/** Whether `address` (normalized) is in the list. */
export function inList(list: AddressList, address: string): boolean {
  const family = isIP(address);
  return list !== null && family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** How many addresses `listCheck` remembers the answer for; past that it starts over. */
const LIST_CHECK_MEMORY = 4096;

/**
 * `inList` for one list, asked many times: each address's answer is remembered (up to LIST_CHECK_MEMORY of them),
 * since a BlockList check parses the address anew each time and a lease asks once per result it hands out.
 */
export function listCheck(list: AddressList): (address: string) => boolean {
  if (list === null) return () => false;
  const known = new Map<string, boolean>();
  return (address) => {
    let answer = known.get(address);
    if (answer === undefined) {
      answer = inList(list, address);
      if (known.size >= LIST_CHECK_MEMORY) known.clear();
      known.set(address, answer);
    }
    return answer;
  };
}

/** Whether `address` (normalized) is one of the trusted proxies. */
export const isTrustedProxy = (proxies: TrustedProxies, address: string): boolean => inList(proxies, address);

/**
 * The client's address. With no trusted proxies it is the peer. When the peer is a trusted proxy, the
 * X-Forwarded-For hops are read from the right (each proxy appends the address it received from): the first
 * hop that is not itself a trusted proxy is the client. A hop that is not an address stops the walk: what
 * lies left of it was written by someone we cannot vouch for.
 */
export function clientAddress(peer: string, forwardedFor: string | undefined, proxies: TrustedProxies): string {
  let client = normalizeAddress(peer);
  if (!forwardedFor || !isTrustedProxy(proxies, client)) return client;
  const hops = forwardedFor.split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeAddress((hops[i] as string).trim());
    if (isIP(hop) === 0) return client;
    client = hop;
    if (!isTrustedProxy(proxies, hop)) return client;
  }
  return client;
}

/** The rate-limit bucket of an address: IPv4 as it is, IPv6 by its /64 network. */
export function bucketOf(address: string): string {
  if (isIP(address) !== 6) return address;
  const groups = ipv6Groups(address);
  if (!groups) return address;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a trailing dotted IPv4 split in two). */
function ipv6Groups(address: string): number[] | null {
  let text = address;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return null;
  const groups = [...left, ...Array<number>(missing).fill(0), ...right];
  return groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}
