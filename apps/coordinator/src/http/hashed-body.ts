// A request body passed through SHA-256 as it is read, so that an upload can be named by its bytes (an
// Idempotency-Key stands for one body) without being held in memory.
import { createHash } from 'node:crypto';
import { ApiError } from './errors';

export interface HashedBody {
  readonly stream: ReadableStream<Uint8Array> | null;
  /** Hex SHA-256 of every byte read so far: of the whole body once the stream has ended. */
  digest(): string;
}

export function hashedBody(body: ReadableStream<Uint8Array> | null): HashedBody {
  const hash = createHash('sha256');
  const stream =
    body?.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          hash.update(chunk);
          controller.enqueue(chunk);
        },
      }),
    ) ?? null;
  return { stream, digest: () => hash.copy().digest('hex') };
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
