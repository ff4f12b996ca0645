// Content-addressed blobs too big to hold in memory (researcher assets: WGSL, wasm, ONNX models), streamed
// in and out. One small interface, so that a store shared by several coordinator processes (a shared
// directory today, an object store later) can stand in for the local directory without touching the routes.
import type { Result } from '@bricolage/protocol';

export interface BlobHandle {
  readonly size: number;
  /**
   * Bytes [start, end] (inclusive), read as the consumer pulls. The handle is closed when the stream ends,
   * fails or is cancelled; `onClose` runs then, exactly once.
   */
  stream(start: number, end: number, onClose?: () => void): ReadableStream<Uint8Array>;
  /** Closes the handle without streaming (a 304, a 416, a HEAD). */
  close(): Promise<void>;
}

export interface BlobStore {
  /** The blob's size, or null when it is not here. */
  size(hash: string): Promise<number | null>;
  /** Opens the blob for reading; null when it is not here. */
  open(hash: string): Promise<BlobHandle | null>;
  /**
   * Streams `body` in. Only a body whose SHA-256 is `hash` and that is at most `maxBytes` long ever becomes
   * visible under `hash`, and then whole (written aside, flushed to disk, renamed): a crash or a refusal
   * leaves nothing behind. Storing a blob that is already here is harmless.
   */
  put(hash: string, body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Result<{ size: number }>>;
}
