// Peer routes: the room of a project for a signed-in volunteer (its secret and a signaling ticket), the chunk
// manifest of a blob, with which volunteers check the chunks their peers send, and the hashes of onnxruntime's
// .wasm files, which volunteers then fetch as blobs (from their peers first).
import type { OpenAPIHono } from '@hono/zod-openapi';
import { API, BlobHash, ProjectId } from '@bricolage/protocol';
import { BlobManifest, OrtWasmFiles, PeerRoom, roomName } from '@bricolage/protocol/peer';
import { z } from 'zod';
import type { BlobHandle } from '../blobs/blob-store';
import { ManifestCache, manifestOf, manifestOfStream } from '../peers/manifests';
import { ApiError } from './errors';
import type { Deps, Env } from './env';
import { perAddressLimit, volunteerAuth } from './middleware';
import { parseWith, route } from './route';

export function peerRoutes(app: OpenAPIHono<Env>, deps: Deps): void {
  const byAddress = perAddressLimit(deps);
  const auth = volunteerAuth(deps);
  const manifests = new ManifestCache();

  route(
    app,
    {
      method: 'get',
      path: API.peerRoom,
      operationId: 'getPeerRoom',
      summary:
        "A project's peer room: its name, the secret that encrypts it, and a ticket for the signaling WebSocket at /signal",
      tag: 'volunteer',
      auth: 'volunteer',
      query: z.object({ project: ProjectId }),
      response: { schema: PeerRoom, description: 'How to join the room' },
    },
    [byAddress, auth],
    async (c, { query }) => {
      if (!deps.config.peers) throw new ApiError('forbidden', 'peers are turned off on this coordinator');
      if (!(await deps.store.getProject(query.project))) throw new ApiError('not_found', `no project ${query.project}`);
      const ticketExpiresAt = deps.clock.now() + deps.config.signal.ticketSeconds * 1000;
      const ticket = deps.peers.tickets.mint(c.get('volunteer'), ticketExpiresAt);
      return c.json({
        project: query.project,
        room: roomName(query.project),
        secret: deps.peers.roomSecret(query.project),
        signaling: `${API.signal}?ticket=${encodeURIComponent(ticket)}`,
        ticketExpiresAt,
        iceServers: [...deps.config.signal.iceServers],
      });
    },
  );

  route(
    app,
    {
      method: 'get',
      path: '/v1/blobs/:hash/manifest',
      operationId: 'getBlobManifest',
      summary: 'The SHA-256 of each 64 KiB chunk of a blob, for checking chunks fetched from peers; immutable',
      tag: 'public',
      response: { schema: BlobManifest, description: 'Chunk hashes, in order' },
    },
    [byAddress],
    async (c) => {
      const hash = parseWith(BlobHash, c.req.param('hash'), 'blob hash');
      const manifest = await manifests.get(hash, async () => {
        // Assets live in the blob store; work-unit inputs and assets of older data directories in SQLite.
        const file = await deps.blobs.open(hash);
        if (file) return manifestOfStream(hash, file.size === 0 ? emptyStream(file) : file.stream(0, file.size - 1));
        const bytes = await deps.store.getBlob(hash);
        return bytes ? manifestOf(hash, bytes) : null;
      });
      if (!manifest) throw new ApiError('not_found', `no blob ${hash}`);
      return c.json(manifest, 200, { 'cache-control': 'public, max-age=31536000, immutable' });
    },
  );

  route(
    app,
    {
      method: 'get',
      path: API.ortWasm,
      operationId: 'getOrtWasm',
      summary:
        "onnxruntime-web's .wasm files that this coordinator's page uses, by SHA-256: fetch them as blobs (GET /v1/blobs/{hash})",
      tag: 'public',
      response: { schema: OrtWasmFiles, description: 'The files onnxruntime asks for, each with its hash and size' },
    },
    [byAddress],
    (c) => c.json({ files: deps.ortWasm.map(({ name, hash, size }) => ({ name, hash, size })) }),
  );
}

/** An empty blob has no byte range to stream: close its handle and hash nothing. */
function emptyStream(file: BlobHandle): ReadableStream<Uint8Array> {
  void file.close();
  return new ReadableStream({ start: (controller) => controller.close() });
}
