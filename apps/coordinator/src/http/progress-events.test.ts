// Many Server-Sent Event streams on one job, over loopback HTTP: they share one progress reading per tick.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API } from '@bricolage/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Coordinator, startCoordinator } from '../server';
import { Researcher, square } from '../testing/fixtures';
import { SimVolunteer } from '../testing/sim-volunteer';

interface Stream {
  readonly events: string[];
  close(): Promise<void>;
}

/** An open event stream, collecting its `progress` events' data. */
async function openStream(url: string, token: string): Promise<Stream> {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
  const events: string[] = [];
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const pump = (async () => {
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const data = /^data: (.*)$/m.exec(buffer.slice(0, end));
        if (data) events.push(data[1] as string);
        buffer = buffer.slice(end + 2);
      }
    }
  })();
  return {
    events,
    close: async () => {
      controller.abort();
      await pump;
    },
  };
}

describe('progress events', () => {
  let dir: string;
  let coordinator: Coordinator;
  let researcher: Researcher;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-sse-'));
    coordinator = await startCoordinator({ dataDir: dir, port: 0, config: { progressEveryMs: 50 } });
    const { token } = await coordinator.createProject('sse');
    researcher = new Researcher(coordinator.url, token);
  });

  afterAll(async () => {
    await coordinator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hands every stream of a job the same readings, read once per tick for all of them', async () => {
    const job = await researcher.createSquareJob({
      redundancy: { minQuorum: 1, maxTotalResults: 2, maxErrorResults: 2, homogeneous: false },
    });
    await researcher.addSquares(job, 1, 1);
    const streams: Stream[] = [];
    for (let i = 0; i < 8; i++) streams.push(await openStream(coordinator.url + API.events(job), researcher.token));
    await expect.poll(() => streams.every((s) => s.events.length === 1)).toBe(true);
    const volunteer = await SimVolunteer.create(coordinator.url);
    await volunteer.computeAndSubmit((await volunteer.lease(1)).leases, square);
    const validated = (s: Stream) => s.events.some((e) => e.includes('"validated":1'));
    await expect.poll(() => streams.every(validated)).toBe(true);
    // After the first event (a late stream starts from the latest reading), every stream saw the same
    // events, identical to the millisecond of `at`: readings fanned out, not eight streams reading alone.
    const changes = streams.map((s) => s.events.slice(1));
    expect(changes[0]?.length).toBeGreaterThan(0);
    for (const c of changes) expect(c).toEqual(changes[0]);
    for (const s of streams) await s.close();
  });
});
