// A request body passed through SHA-256 as it is read, so that an upload can be named by its bytes (an
// Idempotency-Key stands for one body) without being held in memory.
import { createHash } from 'node:crypto';
import { ApiError } from './errors';

export interface HashedBody {
  readonly stream: ReadableStream<Uint8Array> | null;
  /** Hex SHA-256 of every byte read so far: of the whole body once the stream has ended. */
  digest(): string;
}

/**
 * `declaredLength` is the request's Content-Length, when it has one: a body that ends short of it is an error,
 * never a shorter upload. (A client that went away mid-body can reach the handler as a body that simply ended:
 * the node adapter reads a socket already closed as an empty stream. Seen as an empty batch committed under
 * the cut upload's Idempotency-Key, which then refused the client's resume.)
 */
export function hashedBody(body: ReadableStream<Uint8Array> | null, declaredLength?: number): HashedBody {
  const hash = createHash('sha256');
  let read = 0;
  const stream =
    body?.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          hash.update(chunk);
          read += chunk.byteLength;
          controller.enqueue(chunk);
        },
        flush(controller) {
          if (declaredLength !== undefined && read !== declaredLength)
            controller.error(incomplete(read, declaredLength));
        },
      }),
    ) ?? null;
  return { stream, digest: () => hash.copy().digest('hex') };
}

const incomplete = (read: number, declared: number) =>
  new ApiError(
    'bad_request',
    `the request body ended after ${read} of its declared ${declared} bytes (the connection was cut?); nothing was added`,
  );

/** The Content-Length a request declares, if it declares a valid one. */
export function declaredLength(header: string | undefined): number | undefined {
  if (header === undefined || !/^\d+$/.test(header)) return undefined;
  const n = Number(header);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Reads the rest of `body` (to hash it), refusing more than `maxBytes`. */
export async function drain(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<void> {
  if (!body) return;
  const reader = body.getReader();
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      total += value.byteLength;
      if (total > maxBytes) throw new ApiError('payload_too_large', `upload exceeds ${maxBytes} bytes`);
    }
  } finally {
    reader.releaseLock();
  }
}
