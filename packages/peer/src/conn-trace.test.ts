import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { addressTrace, traceConn } from './conn-trace';

describe('the peer trace', () => {
  afterEach(() => vi.unstubAllGlobals());

  it("tells who offered, and each of a connection's steps, under the remote peer id", () => {
    const lines: string[] = [];
    const peer = Object.assign(new EventEmitter(), { initiator: true });
    traceConn('p1', { peer }, (line) => lines.push(line));
    peer.emit('signal', { type: 'offer' });
    peer.emit('signal', { candidate: {} });
    peer.emit('connect');
    peer.emit('error', new Error('Connection failed.'));
    peer.emit('close');
    expect(lines.map((l) => l.replace(/\d+ ms/, 'T'))).toEqual([
      'conn p1: opened, this tab offers',
      'out signal offer to p1',
      'out signal candidate to p1',
      'conn p1: connected after T',
      'conn p1: error after T: Connection failed.',
      'conn p1: closed after T',
    ]);
  });

  it('is on only where the address asks for it with ?trace=peers', () => {
    expect(addressTrace()).toBeUndefined();
    vi.stubGlobal('location', { search: '?project=prj_1&trace=other' });
    expect(addressTrace()).toBeUndefined();
    vi.stubGlobal('location', { search: '?project=prj_1&trace=peers' });
    const debug = vi.spyOn(console, 'debug').mockImplementation(() => undefined);
    addressTrace()?.('joined');
    expect(debug).toHaveBeenCalledWith(expect.stringMatching(/^\[peers \d+\] joined$/));
    debug.mockRestore();
  });
});
