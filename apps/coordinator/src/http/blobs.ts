// Blob routes: a researcher streams an asset in (PUT), anyone streams it out (GET) with Range, ETag and
// a cap on concurrent large responses. Assets live in the BlobStore; blobs still in SQLite (work-unit
// inputs, and assets of data directories older than the file store) are served from there, and one
// larger than `blobFileThreshold` is copied into the BlobStore on first read so later reads stream.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { API, BlobHash } from '@bricolage/protocol';
import type { Context } from 'hono';
import { z } from 'zod';
import type { BlobReader } from '../admission/admit';
import type { BlobHandle } from '../blobs/blob-store';
import { selectBytes } from './byte-range';
import { ApiError, errorResponse } from './errors';
import type { Deps, Env } from './env';
import { limitDeclaredBody, perAddressLimit, projectAuth } from './middleware';
import { parseWith, route } from './route';

const PATH = API.blob('{hash}').replace(/\{(\w+)\}/g, ':$1');

export function blobRoutes(app: OpenAPIHono<Env>, deps: Deps): void {
  const promoting = new Map<string, Promise<void>>();

  /** Moves a blob from SQLite into the BlobStore, once however many readers ask at the same moment. */
  const promote = (hash: string, bytes: Uint8Array): Promise<void> => {
    let p = promoting.get(hash);
    if (!p) {
      p = deps.blobs
        .put(hash, streamOf(bytes), Number.POSITIVE_INFINITY)
        .then((stored) => {
          if (!stored.ok) throw new Error(`blob ${hash} from SQLite did not store: ${stored.error.message}`);
        })
        .finally(() => promoting.delete(hash));
      promoting.set(hash, p);
    }
    return p;
  };

  /** The blob, from wherever it is; null when it is nowhere. */
  const open = async (hash: string): Promise<BlobHandle | null> => {
    const file = await deps.blobs.open(hash);
    if (file) return file;
    // Its bytes are about to be in memory: that counts as a large response while they are.
    const release = takeSlot(deps);
    try {
      const bytes = await deps.store.getBlob(hash);
      if (!bytes) return null;
      if (bytes.length <= deps.config.blobFileThreshold) return memoryHandle(bytes);
      await promote(hash, bytes);
    } finally {
      release();
    }
    return deps.blobs.open(hash);
  };

  route(
    app,
    {
      method: 'get',
      path: PATH,
      operationId: 'getBlob',
      summary:
        'A blob by its SHA-256; immutable. Honours one byte range (206, 416 when none of it exists) and If-None-Match (304)',
      tag: 'public',
      response: { contentType: 'application/octet-stream', description: 'The bytes' },
    },
    [perAddressLimit(deps)],
    async (c) => {
      const hash = parseWith(BlobHash, c.req.param('hash'), 'blob hash');
      const blob = await open(hash);
      if (!blob) throw new ApiError('not_found', `no blob ${hash}`);
      return send(c, deps, blob, `"${hash}"`);
    },
  );

  route(
    app,
    {
      method: 'put',
      path: PATH,
      operationId: 'putBlob',
      summary: 'Upload a content-addressed blob (WGSL source, wasm module, ONNX model), streamed; idempotent',
      tag: 'researcher',
      auth: 'project',
      rawBody: { contentType: 'application/octet-stream', description: 'the bytes; their SHA-256 must equal {hash}' },
      response: { schema: z.object({ hash: BlobHash, size: z.number().int() }), description: 'Stored' },
    },
    [projectAuth(deps), limitDeclaredBody(deps.config.maxBlobBytes)],
    async (c) => {
      const hash = parseWith(BlobHash, c.req.param('hash'), 'blob hash');
      const stored = await deps.blobs.put(hash, c.req.raw.body ?? streamOf(new Uint8Array()), deps.config.maxBlobBytes);
      if (!stored.ok) {
        // Refused before the end of the body, which is left unread: this connection cannot carry another request.
        if (stored.error.code === 'payload_too_large') c.header('Connection', 'close');
        throw ApiError.from(stored.error);
      }
      return c.json({ hash, size: stored.value.size });
    },
  );
}

/**
 * Stored blobs as job admission reads them (their sizes; the bytes of a kernel or a wasm twin), wherever they are
 * kept: the BlobStore first, then SQLite (data directories older than the BlobStore).
 */
export function blobReader(deps: Pick<Deps, 'blobs' | 'store'>): BlobReader {
  return {
    blobSize: async (hash) => (await deps.blobs.size(hash)) ?? (await deps.store.blobSize(hash)),
    getBlob: async (hash) => {
      const file = await deps.blobs.open(hash);
      if (!file) return deps.store.getBlob(hash);
      if (file.size === 0) {
        await file.close();
        return new Uint8Array();
      }
      return new Uint8Array(await new Response(file.stream(0, file.size - 1)).arrayBuffer());
    },
  };
}

function takeSlot(deps: Deps): () => void {
  const release = deps.largeResponses.tryTake();
  if (!release) throw ApiError.rateLimited('too many large downloads in progress; retry shortly', 1);
  return release;
}

async function send(c: Context<Env>, deps: Deps, blob: BlobHandle, etag: string): Promise<Response> {
  const headers: Record<string, string> = {
    etag,
    'cache-control': 'public, max-age=31536000, immutable',
    'accept-ranges': 'bytes',
  };
  const size = blob.size;
  const selection = selectBytes(size, etag, {
    ifNoneMatch: c.req.header('if-none-match'),
    range: c.req.header('range'),
    ifRange: c.req.header('if-range'),
  });
  if (selection.kind === 'not-modified') {
    await blob.close();
    return c.body(null, 304, headers);
  }
  if (selection.kind === 'unsatisfiable') {
    await blob.close();
    for (const [k, v] of Object.entries({ ...headers, 'content-range': `bytes */${size}` })) c.header(k, v);
    return errorResponse(c, 'range_not_satisfiable', `the blob has ${size} bytes; no byte of that range exists`);
  }
  const [start, end] = selection.kind === 'part' ? [selection.start, selection.end] : [0, size - 1];
  const status = selection.kind === 'part' ? 206 : 200;
  Object.assign(headers, {
    'content-type': 'application/octet-stream',
    'content-length': String(end - start + 1),
    ...(selection.kind === 'part' ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
  });
  // HEAD (Hono answers it with the GET route and drops the body): never open a stream nobody reads.
  if (c.req.method === 'HEAD') {
    await blob.close();
    return c.body(null, status, headers);
  }
  let release: () => void = () => undefined;
  if (end - start + 1 > deps.config.largeResponseBytes) {
    try {
      release = takeSlot(deps);
    } catch (e) {
      await blob.close();
      throw e;
    }
  }
  return c.body(blob.stream(start, end, release), status, headers);
}

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      if (bytes.length > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

/** A small blob read whole from SQLite, served like a file. */
function memoryHandle(bytes: Uint8Array): BlobHandle {
  return {
    size: bytes.length,
    close: async () => undefined,
    stream: (start, end, onClose) => {
      onClose?.();
      return streamOf(bytes.subarray(start, end + 1));
    },
  };
}
