// Blobs as files: DATA_DIR/blobs/ab/cdef… named by SHA-256. An upload is written to blobs/tmp/ while it is
// hashed, flushed, and renamed into place only if it hashes to its name, so a reader (in this process or
// another sharing the directory) sees a whole blob or none. Reads are pulled a chunk at a time.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { type FileHandle, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fail, ok, type Result } from '@bricolage/protocol';
import type { BlobHandle, BlobStore } from '../blob-store';

/** Read size per pull: large enough for few syscalls, small enough that a hundred streams cost little. */
const CHUNK = 256 * 1024;
/** An upload this old in tmp/ was cut short by a crash: anyone's upload in flight is far younger. */
const STALE_UPLOAD_MS = 24 * 60 * 60 * 1000;

const HASH = /^[0-9a-f]{64}$/;

const isMissing = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';

export class FileBlobStore implements BlobStore {
  private readonly tmp: string;

  constructor(
    private readonly root: string,
    now = Date.now(),
  ) {
    this.tmp = join(root, 'tmp');
    mkdirSync(this.tmp, { recursive: true, mode: 0o700 });
    for (const name of readdirSync(this.tmp)) {
      const path = join(this.tmp, name);
      try {
        if (now - statSync(path).mtimeMs > STALE_UPLOAD_MS) rmSync(path, { force: true });
      } catch (e) {
        // Another process finished (renamed) or dropped it between the listing and the stat.
        if (!isMissing(e)) throw e;
      }
    }
  }

  async size(hash: string): Promise<number | null> {
    try {
      return (await stat(this.path(hash))).size;
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
  }

  async open(hash: string): Promise<BlobHandle | null> {
    let fh: FileHandle;
    try {
      fh = await open(this.path(hash), 'r');
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
    return fileHandle(hash, fh, (await fh.stat()).size);
  }

  async put(hash: string, body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Result<{ size: number }>> {
    const final = this.path(hash);
    const temp = join(this.tmp, `${process.pid}-${randomBytes(8).toString('hex')}`);
    const fh = await open(temp, 'wx', 0o600);
    let handleOpen = true;
    let renamed = false;
    try {
      const digest = createHash('sha256');
      let size = 0;
      const reader = body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > maxBytes) {
          await reader.cancel();
          return fail('payload_too_large', `blob exceeds ${maxBytes} bytes`);
        }
        digest.update(value);
        await writeAll(fh, value);
      }
      const actual = digest.digest('hex');
      if (actual !== hash) return fail('hash_mismatch', `body hashes to ${actual}, not ${hash}`);
      await fh.sync();
      await fh.close();
      handleOpen = false;
      await mkdir(dirname(final), { recursive: true, mode: 0o700 });
      // Atomic: a concurrent upload of the same blob renames identical bytes over these.
      await rename(temp, final);
      renamed = true;
      await syncDirectory(dirname(final));
      return ok({ size });
    } finally {
      if (handleOpen) await fh.close();
      if (!renamed) await unlink(temp);
    }
  }

  private path(hash: string): string {
    if (!HASH.test(hash)) throw new Error(`not a blob hash: ${hash}`);
    return join(this.root, hash.slice(0, 2), hash.slice(2));
  }
}

async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.byteLength; ) {
    const { bytesWritten } = await fh.write(bytes, at, bytes.byteLength - at);
    at += bytesWritten;
  }
}

/** Makes a rename durable: the new directory entry is on disk, not only the file's bytes. */
async function syncDirectory(path: string): Promise<void> {
  const dir = await open(path, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** A handle on an open file, streamed a chunk at a time; exported for files published from elsewhere. */
export function fileHandle(hash: string, fh: FileHandle, size: number): BlobHandle {
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await fh.close();
  };
  return {
    size,
    close,
    stream(start, end, onClose) {
      let pos = start;
      let ended = false;
      const finish = async () => {
        if (ended) return;
        ended = true;
        try {
          await close();
        } finally {
          onClose?.();
        }
      };
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          try {
            const n = Math.min(CHUNK, end + 1 - pos);
            if (n <= 0) {
              await finish();
              controller.close();
              return;
            }
            const chunk = Buffer.allocUnsafe(n);
            const { bytesRead } = await fh.read(chunk, 0, n, pos);
            if (bytesRead === 0) throw new Error(`blob ${hash} ends at byte ${pos}, before ${end + 1}`);
            pos += bytesRead;
            controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, bytesRead));
            if (pos > end) {
              await finish();
              controller.close();
            }
          } catch (e) {
            await finish();
            controller.error(e);
          }
        },
        cancel: finish,
      });
    },
  };
}
