// Keeps a y-webrtc signaling socket to the rooms of the providers that opened it. y-webrtc's sockets are
// module-wide, and each subscribes, announces and listens in every room open on the page (SignalingConn's
// 'connect', announceSignalingInfo), while a room's gate (signal-gate.ts) wraps only its own provider's sockets: a
// page in two rooms would take room A's signals through room B's socket ungated, and count as a subscriber of
// each room once per socket. Scoped, a socket carries only its own rooms' topics, out and in.

/** y-webrtc's SignalingConn as far as the scope reads it (lib0's WebsocketClient, its `providers`). */
export interface ScopedSocket {
  emit(name: string, args: unknown[]): void;
  send(message: unknown): void;
  readonly providers: ReadonlySet<{ readonly roomName: string }>;
}

/**
 * Wraps the socket's `send` and `emit` for good. The rooms are read from the socket's providers as each message
 * passes, so the scope stays true as providers come and go on a shared socket (one URL), and wrapping a socket
 * twice changes nothing.
 */
export function scopeSignaling(socket: ScopedSocket): void {
  const send = socket.send.bind(socket);
  const emit = socket.emit.bind(socket);
  const ours = (topic: unknown) => [...socket.providers].some((p) => p.roomName === topic);
  // Unsubscribes pass as they are: y-webrtc sends its room's on every socket as the room closes, once its provider
  // has left its own, and the server takes one for a topic not subscribed as nothing.
  socket.send = (message) => {
    const m = message as { type?: unknown; topic?: unknown; topics?: unknown } | null | undefined;
    if (m?.type === 'subscribe' && Array.isArray(m.topics)) {
      const topics = m.topics.filter(ours);
      if (topics.length > 0) send({ ...m, topics });
    } else if (m?.type !== 'publish' || ours(m.topic)) send(message);
  };
  socket.emit = (name, args) => {
    const m = args[0] as { type?: unknown; topic?: unknown } | null | undefined;
    if (name === 'message' && m?.type === 'publish' && !ours(m.topic)) return;
    emit(name, args);
  };
}
