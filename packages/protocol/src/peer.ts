// The peer layer's contracts: the signaling wire the coordinator speaks at /signal (y-webrtc's own JSON
// protocol), the room a signed-in volunteer is handed, what peers announce to each other (presence, held units,
// tree heads), the blob cache's chunk manifest, and the frames of its data channel. Everything a peer hears from
// another peer is parsed with these schemas first: peers never trust peers.
import { z } from 'zod';
import { type CanonicalValue, canonicalJson } from './canonical';
import { BlobHash, Ed25519Signature, ProjectId, VolunteerKey } from './ids';
import { SignedTreeHead } from './receipt';
import { domainMessage } from './signing';

// signaling

/**
 * What a client may send to /signal: exactly the messages of y-webrtc's signaling protocol. `publish` carries
 * the room's data (encrypted with the room secret by y-webrtc, so opaque here); the coordinator relays it to
 * every other subscriber of the topic.
 */
export const SignalMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('subscribe'), topics: z.array(z.string().max(256)).max(64) }),
  z.object({ type: z.literal('unsubscribe'), topics: z.array(z.string().max(256)).max(64) }),
  z.object({ type: z.literal('publish'), topic: z.string().max(256), data: z.unknown() }),
  z.object({ type: z.literal('ping') }),
]);
export type SignalMessage = z.infer<typeof SignalMessage>;

/** Others whose sender tags a `joined` names: a joining tab waits for connections from a few, not from a crowd. */
export const JOINED_SENDERS = 4;

/**
 * The one message of /signal's own beyond y-webrtc's protocol (whose client ignores types it does not know): on
 * taking a subscription, how many others the topic had on this coordinator process. A joining tab waits for that
 * many of them (up to a few) before it takes the room as known, rather than for a pause in answers that a loaded
 * machine stretches past (room-settle.ts). Per process, as the rooms are (signaling is not fanned out across
 * coordinator processes).
 */
export const SignalJoined = z.object({
  type: z.literal('joined'),
  topic: z.string().max(256),
  others: z.number().int().min(0),
  /**
   * The sender tags (as `SignalRelay.sender`) of the first JOINED_SENDERS of those others, earliest subscribed first:
   * the joining tab waits for a connection from each, not for as many connections from anyone (a tab that joined a
   * moment later may connect first, even on a connection it opened: crossing offers).
   */
  senders: z.array(z.string().max(64)).max(16).optional(),
  /**
   * The sender tag this connection's own publishes are relayed with. Signals are sealed with a key the whole room
   * shares, so anyone reads any tab's y-webrtc peer id; a page therefore names itself by a peer id under its tag
   * (`taggedPeerId`) and takes a relayed signal only when the peer id in it names the tag it was relayed with
   * (`peerIdSender`), so that no key can speak as another's tab. Sent before anything relayed in the topic. Absent
   * from an older coordinator: a page then keeps a peer id no peer takes, and connects to none.
   */
  self: z.string().max(64).optional(),
});
export type SignalJoined = z.infer<typeof SignalJoined>;

/** A y-webrtc peer id under a sender tag (`SignalJoined.self`): `<tag>.<id>` (tags are base64url, y-webrtc's ids uuids: neither has a dot). */
export const taggedPeerId = (sender: string, id: string): string => `${sender}.${id}`;

/** The sender tag a peer id names (what comes before its last dot), or null when it names none. */
export function peerIdSender(peerId: string): string | null {
  const dot = peerId.lastIndexOf('.');
  return dot > 0 ? peerId.slice(0, dot) : null;
}

/**
 * A publish as /signal relays it: the sender's message re-serialised, and `sender`, which the coordinator adds: an
 * opaque tag of the volunteer key whose signaling connection sent it, the same for every connection of that key
 * (and no other) for as long as the coordinator process runs, and not the key itself. The stock y-webrtc client
 * ignores it; packages/peer counts a page's unestablished WebRTC connections by it, because the peer id inside an
 * encrypted message is whatever its sender says it is. A client cannot set it: anything but `topic` and `data` is
 * dropped from what it publishes.
 */
export const SignalRelay = z.object({
  type: z.literal('publish'),
  topic: z.string().max(256),
  data: z.unknown(),
  sender: z.string().max(64),
});
export type SignalRelay = z.infer<typeof SignalRelay>;

/**
 * What y-webrtc puts inside a publish, once the room secret decrypts it: an `announce` (a tab looking for peers)
 * or a `signal` (simple-peer's offer, answer or ICE candidate) from one peer id, to one. Read only as far as the
 * page needs to know whether it would open a connection; any other field passes through unread.
 */
export const RoomSignal = z.looseObject({
  type: z.string().max(32),
  from: z.string().max(256),
  to: z.string().max(256).optional(),
  /** simple-peer's signal (an offer, an answer, a candidate), passed on unread. */
  signal: z.looseObject({}).optional(),
});
export type RoomSignal = z.infer<typeof RoomSignal>;

/**
 * Close codes of /signal (the 4000–4999 range is the application's): the WebSocket form of a 4xx. A refused
 * handshake (no or bad ticket, too many connections) is an HTTP 4xx with the usual JSON error instead.
 */
export const SIGNAL_CLOSE = {
  /** Not JSON, not an object, or not one of the four message types. */
  badMessage: 4400,
  /** A topic that is not the room of a project of this grid, or publishing to a topic not subscribed. */
  forbiddenTopic: 4403,
  /** No pong to the server's ping within the ping interval. */
  timeout: 4408,
  /** One message larger than the limit. */
  tooLarge: 4413,
  /** More messages per second, or more topics, than the limits allow. */
  tooMany: 4429,
  /** The grid's operator banned the key (its handshakes are refused 403 from then on). */
  banned: 4401,
  /** The coordinator is shutting down. */
  goingAway: 1001,
} as const;
export type SignalCloseCode = (typeof SIGNAL_CLOSE)[keyof typeof SIGNAL_CLOSE];

const ROOM_PREFIX = 'bricolage/v1/';

/** The y-webrtc room (and signaling topic) of a project: the only topics /signal lets anyone use. */
export const roomName = (project: string): string => `${ROOM_PREFIX}${project}`;

/** The project a room name belongs to, or null when it is not a room of ours. */
export function projectOfRoom(topic: string): ProjectId | null {
  if (!topic.startsWith(ROOM_PREFIX)) return null;
  const parsed = ProjectId.safeParse(topic.slice(ROOM_PREFIX.length));
  return parsed.success ? parsed.data : null;
}

/** An ICE server as RTCPeerConnection takes it. None by default: volunteers connect directly or not at all. */
export const IceServer = z
  .object({
    urls: z.union([z.string().max(512), z.array(z.string().max(512)).max(8)]),
    username: z.string().max(256).optional(),
    credential: z.string().max(256).optional(),
  })
  .meta({ id: 'IceServer' });
export type IceServer = z.infer<typeof IceServer>;

/** What a signed-in volunteer is handed to join a project's room (`GET /v1/volunteer/peer-room?project=`). */
export const PeerRoom = z
  .object({
    project: ProjectId,
    /** The y-webrtc room name, also the signaling topic. */
    room: z.string(),
    /** The room's password: y-webrtc derives the key that encrypts signaling and every peer message from it. */
    secret: z.string(),
    /**
     * Path and query of the signaling WebSocket on this coordinator, ticket included (a browser's WebSocket
     * cannot send an Authorization header). The ticket is checked once, when the socket connects.
     */
    signaling: z.string(),
    /** When the ticket in `signaling` stops being accepted for new connections (epoch ms). */
    ticketExpiresAt: z.number().int(),
    iceServers: z.array(IceServer).max(8),
  })
  .meta({ id: 'PeerRoom' });
export type PeerRoom = z.infer<typeof PeerRoom>;

// the blob cache

/** Bytes per chunk: one data-channel message each, well under every browser's SCTP message limit. */
export const BLOB_CHUNK_BYTES = 64 * 1024;

/**
 * The SHA-256 of each chunk of a blob, from the coordinator: with it a volunteer checks every chunk a peer
 * sends as it arrives, and knows which peer sent a wrong one. About 0.1% of the blob's size.
 */
export const BlobManifest = z
  .object({
    hash: BlobHash,
    size: z.number().int().nonnegative(),
    chunkSize: z.number().int().positive(),
    chunks: z.array(z.string().regex(/^[0-9a-f]{64}$/)),
  })
  .meta({ id: 'BlobManifest' });
export type BlobManifest = z.infer<typeof BlobManifest>;

/**
 * onnxruntime-web's .wasm files that the coordinator's page uses, published as blobs (`GET /v1/blobs/{hash}`)
 * so that volunteers can fetch them from each other like any job asset. `name` is the file onnxruntime asks for
 * (`ort-wasm-simd-threaded.wasm`), not the bundler's hashed file name.
 */
export const OrtWasmFiles = z
  .object({
    files: z.array(
      z.object({
        name: z.string().regex(/^ort-wasm[\w.-]*\.wasm$/),
        hash: BlobHash,
        size: z.number().int().nonnegative(),
      }),
    ),
  })
  .meta({ id: 'OrtWasmFiles' });
export type OrtWasmFiles = z.infer<typeof OrtWasmFiles>;

/** The header of a frame on the blob channel; a chunk's bytes follow its header in the same message. */
export const BlobFrame = z.discriminatedUnion('t', [
  /** Who is at the other end: its awareness client id, so its presence says what it holds. */
  z.object({ t: z.literal('hello'), peer: z.number().int().nonnegative() }),
  z.object({ t: z.literal('get'), id: z.number().int().nonnegative(), hash: BlobHash, index: z.number().int().min(0) }),
  z.object({ t: z.literal('chunk'), id: z.number().int().nonnegative(), hash: BlobHash, index: z.number().int() }),
  z.object({ t: z.literal('none'), id: z.number().int().nonnegative(), hash: BlobHash }),
]);
export type BlobFrame = z.infer<typeof BlobFrame>;

// what peers tell each other

export const DEVICE_CLASSES = ['gpu', 'software-gpu', 'cpu'] as const;
/** `software-gpu`: a WebGPU adapter that is a CPU fallback (SwiftShader). */
export const DeviceClass = z.enum(DEVICE_CLASSES);
export type DeviceClass = z.infer<typeof DeviceClass>;

/** What each peer says about itself (y-webrtc awareness). A claim, shown as such: nothing here is verified. */
export const PeerPresence = z.object({
  v: z.literal(1),
  project: ProjectId,
  /** The volunteer key it says it computes as: believed only with a `proof` that verifies. */
  volunteer: VolunteerKey.nullable(),
  /**
   * The `volunteer` key's signature on `presenceClaim(project, its awareness client id, this state but the
   * proof)`. Without one that verifies, the key is a claim anyone could make (another volunteer's, to be shown
   * as them). Bound to the client id, a proof copied from its owner's presence proves nothing under another id;
   * bound to the whole state, nothing beside it can be changed; bound to `at`, it is believed only while recent.
   * Optional: a page from before 2026-12-02 sends none, and is shown as unproven.
   */
  proof: Ed25519Signature.nullable().optional(),
  /** When the proof was made (epoch ms, by the signer's clock). */
  at: z.number().int().nonnegative().optional(),
  device: DeviceClass.nullable(),
  backend: z.string().max(32).nullable(),
  /** Work units per minute over its last few. */
  rate: z.number().min(0).max(1e7),
  state: z.enum(['computing', 'waiting', 'paused', 'offline', 'idle']),
  /** Blobs it holds, verified, and serves to peers. */
  blobs: z.array(BlobHash).max(64),
  /** The newest signed tree head of the receipt log it has seen (checked by every peer that hears it). */
  head: SignedTreeHead.nullable(),
});
export type PeerPresence = z.infer<typeof PeerPresence>;

/** The text a volunteer signs to show that an awareness client id in a project's room, and this state of it, are its own. */
export const presenceClaimText = (project: string, client: number, presence: Omit<PeerPresence, 'proof'>): string =>
  canonicalJson({ client, project, presence: { ...presence, proof: undefined } as unknown as CanonicalValue });

export const presenceClaim = (project: string, client: number, presence: Omit<PeerPresence, 'proof'>): Uint8Array =>
  domainMessage('presence', presenceClaimText(project, client, presence));

/** A work unit a peer holds, in the shared doc under its lease id: leased and computing, or computed and waiting. */
export const HeldUnit = z.object({
  workUnit: z.string().max(32).nullable(),
  job: z.string().max(32).nullable(),
  /** The awareness client id of the holder. */
  holder: z.number().int().nonnegative(),
  state: z.enum(['computing', 'computed']),
  at: z.number().int(),
});
export type HeldUnit = z.infer<typeof HeldUnit>;

/**
 * Proof that the coordinator showed two different logs: two tree heads it signed with the same size and
 * different roots. Anyone with its public key can check it; peers put it in the shared doc for every page.
 */
export const SplitViewEvidence = z.object({ a: SignedTreeHead, b: SignedTreeHead });
export type SplitViewEvidence = z.infer<typeof SplitViewEvidence>;
