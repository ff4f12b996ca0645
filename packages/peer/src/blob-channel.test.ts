import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tappedWebRtc } from './blob-channel';

/** Just enough of RTCPeerConnection for the tap: a data channel to add, a state, close(). */
class FakePeerConnection extends EventTarget {
  connectionState: RTCPeerConnectionState = 'new';
  createDataChannel(): EventTarget {
    return new EventTarget();
  }
  close(): void {
    this.connectionState = 'closed';
  }
  fail(): void {
    this.connectionState = 'failed';
    this.dispatchEvent(new Event('connectionstatechange'));
  }
}

const real = globalThis.RTCPeerConnection;
beforeEach(() => {
  globalThis.RTCPeerConnection = FakePeerConnection as unknown as typeof RTCPeerConnection;
});
afterEach(() => {
  globalThis.RTCPeerConnection = real;
});

const events = { open: () => ({ receive: () => undefined, closed: () => undefined }) };

describe('the WebRTC the swarm hands y-webrtc', () => {
  it('opens at most so many connections, however many offers anyone in the room sends this tab', () => {
    const { RTCPeerConnection: Tapped } = tappedWebRtc(events, 32);
    const made: RTCPeerConnection[] = [];
    let refused = 0;
    // Offers from 100 made-up senders: y-webrtc makes a connection for each (it caps only those it starts).
    for (let i = 0; i < 100; i++)
      try {
        made.push(new Tapped({ iceServers: [] }));
      } catch (error) {
        expect((error as Error).message).toContain('32 peer connections are open already');
        refused++;
      }
    expect(made).toHaveLength(32);
    expect(refused).toBe(68);
    // Closed here, or failed at the other end: each frees its place.
    made[0]?.close();
    (made[1] as unknown as FakePeerConnection).fail();
    expect(() => new Tapped()).not.toThrow();
    expect(() => new Tapped()).not.toThrow();
    expect(() => new Tapped()).toThrow();
  });
});
