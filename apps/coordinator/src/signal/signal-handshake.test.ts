import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock';
import { DEFAULT_CONFIG } from '../config';
import { VolunteerTokens } from '../http/tokens';
import { LogThrottle } from './log-throttle';
import { handshakes } from './signal-handshake';
import { zeroSignalCounts } from './signaling';

describe("the handshake's ban lookup", () => {
  it('reads the ban list again when a ban was announced while it read it, and opens nothing then', async () => {
    const clock = new ManualClock();
    const tickets = new VolunteerTokens(new Uint8Array(32).fill(7));
    let banned = false;
    let announced = 0;
    const reads: (() => void)[] = [];
    const upgraded: string[] = [];
    const listener = handshakes({
      limits: DEFAULT_CONFIG.signal,
      tickets,
      // Each read sees the list as it was when it began, and answers when the test says.
      banOf: () => {
        const seen = banned;
        return new Promise((resolve) => reads.push(() => resolve(seen ? 'banned: attacks peers' : null)));
      },
      clock,
      addressOf: () => '192.0.2.1',
      log: new LogThrottle(() => undefined, clock),
      refused: zeroSignalCounts().refused,
      open: () => ({ fromAddress: 0, all: 0 }),
      bansAnnounced: () => announced,
      upgrade: (_request, _socket, _head, volunteer) => upgraded.push(volunteer),
    });
    const socket = new PassThrough();
    let answered = '';
    socket.on('data', (chunk: Buffer) => {
      answered += chunk.toString();
    });
    const ticket = tickets.mint('mallory', clock.now() + 60_000);
    listener({ url: `/signal?ticket=${ticket}`, headers: {} } as IncomingMessage, socket, Buffer.alloc(0));
    expect(reads).toHaveLength(1);

    // The ban commits and is announced (it closes no socket of the key: this one is not open yet)…
    banned = true;
    announced++;
    // …and the read that began before it answers "not banned".
    reads.shift()?.();
    await new Promise((resolve) => setTimeout(resolve, 10));
    reads.shift()?.();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(upgraded).toEqual([]);
    expect(answered).toMatch(/^HTTP\/1\.1 403 /);
    expect(answered).toContain('"code":"forbidden"');
  });
});
