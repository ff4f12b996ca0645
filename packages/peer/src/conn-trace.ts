// Lines for the swarm's `trace` (SwarmOptions) on what each WebRTC connection does: who offered, when it connected,
// closed or failed, and when it first carried data. What the browser tests' logs need to tell a slow mesh from a
// stuck pair (BRICOLAGE_PEER_TRACE=1, e2e/peers/support.ts). Off unless a trace is given or the page's address
// asks for one.

/** simple-peer's Peer as far as the trace listens to it. */
interface TracedPeer {
  readonly initiator: boolean;
  on(event: 'connect' | 'close', listener: () => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  on(event: 'signal', listener: (signal: { type?: unknown }) => void): void;
}

/** Traces the connection with peer id `remote` from now on (y-webrtc has just made it: nothing is missed). */
export function traceConn(remote: string, conn: { readonly peer: unknown }, trace: (line: string) => void): void {
  const peer = conn.peer as TracedPeer;
  const started = Date.now();
  const since = () => `${Date.now() - started} ms`;
  trace(`conn ${remote}: opened, ${peer.initiator ? 'this tab offers' : 'answering its offer'}`);
  peer.on('signal', (signal) => trace(`out signal ${String(signal.type ?? 'candidate')} to ${remote}`));
  peer.on('connect', () => trace(`conn ${remote}: connected after ${since()}`));
  peer.on('error', (error) => trace(`conn ${remote}: error after ${since()}: ${error.message}`));
  peer.on('close', () => trace(`conn ${remote}: closed after ${since()}`));
}

/**
 * A page whose address has `?trace=peers` traces its rooms into the console (debug level), each line stamped with
 * the time: the switch lives here, in the chunk that loads after Start, so that the page's own JS does not grow.
 */
export function addressTrace(): ((line: string) => void) | undefined {
  if (new URLSearchParams(globalThis.location?.search).get('trace') !== 'peers') return undefined;
  return (line) => console.debug(`[peers ${Date.now()}] ${line}`);
}
