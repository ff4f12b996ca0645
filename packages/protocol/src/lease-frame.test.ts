import { describe, expect, it } from 'vitest';
import { LEASE_FRAME_ACCEPT, acceptsLeaseFrame, readLeaseFrame, writeLeaseFrame } from './lease-frame';
import type { LeaseResponse } from './volunteer';

const lease = (i: number) => ({
  lease: `ls_${i + 1}`,
  workUnit: `wu_${i + 1}`,
  job: 'job_0123456789abcdef',
  deadline: 1_000 + i,
  inputHash: 'ab'.repeat(32),
  input: null,
});
const answer = (n: number): LeaseResponse =>
  ({ leases: Array.from({ length: n }, (_, i) => lease(i)), jobs: [], retryAfter: null }) as unknown as LeaseResponse;

/** A frame with a head of `head` (any JSON) and `tail` after it. */
function frameOf(head: unknown, tail: Uint8Array = new Uint8Array()): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(head));
  const frame = new Uint8Array(4 + json.length + tail.length);
  new DataView(frame.buffer).setUint32(0, json.length);
  frame.set(json, 4);
  frame.set(tail, 4 + json.length);
  return frame;
}

describe('lease frames', () => {
  it('carry each lease its own input bytes, and none to a lease whose input is fetched by hash', () => {
    const inputs = [new Uint8Array([1, 2, 3]), null, new Uint8Array(0), new Uint8Array([9])];
    const read = readLeaseFrame(writeLeaseFrame(answer(4), inputs));
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.answer.leases.map((l) => (l.inline ? [...l.inline] : null))).toEqual([[1, 2, 3], null, [], [9]]);
    expect(read.answer.leases.map((l) => l.input)).toEqual([null, null, null, null]);
    expect(read.answer.leases[0]).toMatchObject({ lease: 'ls_1', workUnit: 'wu_1', deadline: 1_000, inlineBytes: 3 });
    expect(read.answer.retryAfter).toBeNull();
  });

  it('read an answer with no leases, and a frame that is a view into a larger buffer', () => {
    const frame = writeLeaseFrame({ ...answer(0), retryAfter: 5, full: true }, []);
    const padded = new Uint8Array(frame.length + 10);
    padded.set(frame, 7);
    const read = readLeaseFrame(padded.subarray(7, 7 + frame.length));
    expect(read).toEqual({ ok: true, answer: { leases: [], jobs: [], retryAfter: 5, full: true } });
  });

  it('are sent to a client whose accept header names them, unless it refuses them with q=0', () => {
    const type = 'application/vnd.bricolage.lease-frame';
    expect(acceptsLeaseFrame(LEASE_FRAME_ACCEPT)).toBe(true);
    expect(acceptsLeaseFrame(type)).toBe(true);
    expect(acceptsLeaseFrame(`application/json, ${type.toUpperCase()} ; q=0.2`)).toBe(true);
    expect(acceptsLeaseFrame(undefined)).toBe(false);
    expect(acceptsLeaseFrame('*/*')).toBe(false);
    expect(acceptsLeaseFrame('application/json')).toBe(false);
    expect(acceptsLeaseFrame(`${type};q=0`)).toBe(false);
    expect(acceptsLeaseFrame(`${type}-v2`)).toBe(false);
  });

  it('are written with one input (or null) per lease, no more, no fewer', () => {
    expect(() => writeLeaseFrame(answer(2), [null])).toThrow(RangeError);
  });

  it('write the bytes given, not an input the answer also held as base64', () => {
    const withBase64 = { ...answer(1), leases: [{ ...lease(0), input: 'AAAA' }] } as unknown as LeaseResponse;
    const read = readLeaseFrame(writeLeaseFrame(withBase64, [new Uint8Array([7])]));
    expect(read.ok && read.answer.leases[0]).toMatchObject({ input: null, inlineBytes: 1 });
  });

  it.each([
    ['shorter than its header', new Uint8Array([0, 0]), /shorter than its header/],
    [
      'a head longer than the frame',
      (() => {
        const f = frameOf(answer(0));
        new DataView(f.buffer).setUint32(0, f.length);
        return f;
      })(),
      /only \d+ follow/,
    ],
    ['a head that is not JSON', frameOf('x').fill(0x7b, 4), /is not JSON/],
    [
      'a head that is not UTF-8',
      (() => {
        const f = frameOf({ leases: [], jobs: [], retryAfter: null, x: 'é' });
        f[f.length - 3] = 0xff;
        return f;
      })(),
      /is not JSON/,
    ],
    ['a head that is not a lease answer', frameOf({ leases: 'none' }), /not a lease answer/],
    [
      'an input past the end',
      frameOf({ ...answer(1), leases: [{ ...lease(0), inlineBytes: 5 }] }, new Uint8Array(4)),
      /runs past the end/,
    ],
    [
      'bytes no lease claims',
      frameOf({ ...answer(1), leases: [{ ...lease(0), inlineBytes: 2 }] }, new Uint8Array(3)),
      /1 bytes that no lease claims/,
    ],
    [
      'an input carried twice',
      frameOf({ ...answer(1), leases: [{ ...lease(0), input: 'AQ==', inlineBytes: 1 }] }, new Uint8Array(1)),
      /carries base64 in a frame/,
    ],
    [
      'base64 beside no bytes',
      frameOf({ ...answer(1), leases: [{ ...lease(0), input: 'AQ==' }] }),
      /carries base64 in a frame/,
    ],
    [
      'a negative input length',
      frameOf({ ...answer(1), leases: [{ ...lease(0), inlineBytes: -1 }] }),
      /not a lease answer/,
    ],
  ])('refuse a frame with %s, saying so', (_, frame, says) => {
    const read = readLeaseFrame(frame);
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.message).toMatch(says);
  });
});
