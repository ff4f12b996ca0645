// A lease answer as bytes rather than JSON, for the volunteer page: the answer's JSON without the inputs,
// then the inputs themselves, back to back. A fast tab leases hundreds of small units at a time, and carried
// inline as base64 in one JSON document (5.7 MB for 512 cnn units) they were encoded, stringified and
// UTF-8-encoded by the coordinator, then decoded, parsed and base64-decoded again on the page's main thread,
// which the compute worker waits on (bench:runtime --gaps). Asked for with `accept: LEASE_FRAME_TYPE`; a
// client that does not ask gets the JSON answer, inputs inline as base64, as before.
//
//   [u32, big-endian: n] [n bytes: the LeaseResponse as UTF-8 JSON] [the carried inputs, in lease order]
//
// In the frame every lease's `input` is null; one whose input is carried says how many bytes of the tail are
// its own (`inlineBytes`), and those bytes are the next ones. The tail holds nothing else.
import { concatBytes } from './bytes';
import { type Lease, LeaseResponse } from './volunteer';

export const LEASE_FRAME_TYPE = 'application/vnd.bricolage.lease-frame';

/** What a client that takes a frame, and JSON from a coordinator that cannot frame, sends as `accept`. */
export const LEASE_FRAME_ACCEPT = `${LEASE_FRAME_TYPE}, application/json;q=0.5`;

/** Whether an `accept` header asks for a frame: the type named as such, not refused with `q=0`. */
export function acceptsLeaseFrame(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((range) => {
    const [type, ...params] = range.split(';').map((p) => p.trim().toLowerCase());
    if (type !== LEASE_FRAME_TYPE) return false;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** A lease as a volunteer holds it: its input's bytes at hand when the answer carried them as bytes. */
export type LeasedUnit = Lease & { readonly inline?: Uint8Array };

/** A lease answer read either way: from JSON (inputs as base64 in `input`) or from a frame (in `inline`). */
export type LeaseAnswer = Omit<LeaseResponse, 'leases'> & { readonly leases: readonly LeasedUnit[] };

const HEAD_LENGTH_BYTES = 4;

/**
 * The frame of `answer` whose leases carry `inputs[i]` (null: fetched by hash). The answer's own `input`
 * fields are ignored: the bytes go in the tail.
 */
export function writeLeaseFrame(
  answer: LeaseResponse,
  inputs: readonly (Uint8Array | null)[],
): Uint8Array<ArrayBuffer> {
  if (inputs.length !== answer.leases.length) throw new RangeError('one input (or null) per lease');
  const leases = answer.leases.map((lease, i) => {
    const carried = inputs[i];
    const { inlineBytes: _, ...rest } = lease;
    return carried ? { ...rest, input: null, inlineBytes: carried.length } : { ...rest, input: null };
  });
  const head = new TextEncoder().encode(JSON.stringify({ ...answer, leases }));
  const headLength = new Uint8Array(HEAD_LENGTH_BYTES);
  new DataView(headLength.buffer).setUint32(0, head.length);
  return concatBytes([headLength, head, ...inputs.filter((input) => input !== null)]);
}

export type LeaseFrameRead =
  | { readonly ok: true; readonly answer: LeaseAnswer }
  | { readonly ok: false; readonly message: string };

/**
 * The answer a frame holds, each carried input a view into `frame` (no copy), or what is wrong with it. The
 * inputs are not hashed here: the volunteer checks each against its `inputHash` before it computes.
 */
export function readLeaseFrame(frame: Uint8Array): LeaseFrameRead {
  if (frame.length < HEAD_LENGTH_BYTES) return { ok: false, message: 'a lease frame shorter than its header' };
  const headLength = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0);
  const tailAt = HEAD_LENGTH_BYTES + headLength;
  if (tailAt > frame.length)
    return {
      ok: false,
      message: `a lease frame says its head is ${headLength} bytes; only ${frame.length - HEAD_LENGTH_BYTES} follow`,
    };
  let head: unknown;
  try {
    head = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(frame.subarray(HEAD_LENGTH_BYTES, tailAt)));
  } catch (error) {
    return { ok: false, message: `a lease frame's head is not JSON: ${(error as Error).message}` };
  }
  const parsed = LeaseResponse.safeParse(head);
  if (!parsed.success)
    return { ok: false, message: `a lease frame's head is not a lease answer: ${parsed.error.message}` };
  let at = tailAt;
  const leases: LeasedUnit[] = [];
  for (const lease of parsed.data.leases) {
    // Inputs travel as bytes in a frame, never as base64 beside them.
    if (lease.input !== null) return { ok: false, message: `lease ${lease.lease} carries base64 in a frame` };
    if (lease.inlineBytes === undefined) {
      leases.push(lease);
      continue;
    }
    if (at + lease.inlineBytes > frame.length)
      return { ok: false, message: `lease ${lease.lease}'s input runs past the end of the frame` };
    leases.push({ ...lease, inline: frame.subarray(at, at + lease.inlineBytes) });
    at += lease.inlineBytes;
  }
  if (at !== frame.length)
    return { ok: false, message: `a lease frame holds ${frame.length - at} bytes that no lease claims` };
  return { ok: true, answer: { ...parsed.data, leases } };
}
