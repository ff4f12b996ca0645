// Batching and resuming an upload, against a recording stand-in for the coordinator's batch endpoint (the CLI's
// tests run the same code against a real coordinator, cut connections included).
import type { JobId } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import type { AddedWorkUnits, BricolageClient } from './client';
import type { ClientResult } from './errors';
import { batches, uploadWorkUnits } from './upload';

const JOB = 'job_0000000000000000' as JobId;
const lines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `{"input":"AAAA","tag":"${from + i}"}`);

/** Records each batch it is sent; `refuse(i)` answers batch i (0-based, counting sends) with an error. */
function recorder(refuse: (send: number) => ClientResult<AddedWorkUnits> | null = () => null) {
  const sent: { key: string | undefined; lines: number }[] = [];
  const client = {
    addWorkUnits: async (_job: JobId, ndjson: string, options?: { idempotencyKey?: string }) => {
      const refused = refuse(sent.length);
      sent.push({ key: options?.idempotencyKey, lines: ndjson.split('\n').length - 1 });
      if (refused) return refused;
      const added = ndjson.split('\n').length - 1;
      return {
        ok: true as const,
        value: { job: JOB, added, knownAnswer: 0, firstWorkUnit: null, lastWorkUnit: null, replayed: false },
      };
    },
  } as unknown as BricolageClient;
  return { client, sent };
}

describe('batches', () => {
  it('closes a batch at the unit count or before it would pass the byte budget', async () => {
    const sizes = [];
    for await (const b of batches(lines(25), 10, 1 << 20)) sizes.push(b.units);
    expect(sizes).toEqual([10, 10, 5]);
    const line = lines(1)[0] as string;
    const bySize = [];
    for await (const b of batches(lines(5), 100, 2 * (line.length + 1))) bySize.push(b.units);
    expect(bySize).toEqual([2, 2, 1]);
  });
});

describe('uploadWorkUnits', () => {
  it('sends each batch under <uploadId>.<index> and reports each commit', async () => {
    const { client, sent } = recorder();
    const hashes: string[] = [];
    const done = await uploadWorkUnits(client, JOB, lines(25), {
      uploadId: 'u1',
      batchUnits: 10,
      onBatch: (b) => void hashes.push(b.hash),
    });
    expect(done).toEqual({ ok: true, value: { units: 25, bytes: expect.any(Number), batches: 3, resumedUnits: 0 } });
    expect(sent).toEqual([
      { key: 'u1.0', lines: 10 },
      { key: 'u1.1', lines: 10 },
      { key: 'u1.2', lines: 5 },
    ]);
    expect(new Set(hashes).size).toBe(3);
  });

  it('resumes after the committed batches, sending the rest under the same keys', async () => {
    const first = recorder((i) => (i === 1 ? { ok: false, error: { code: 'network', message: 'cut' } } : null));
    const committed: string[] = [];
    const cut = await uploadWorkUnits(first.client, JOB, lines(25), {
      uploadId: 'u2',
      batchUnits: 10,
      onBatch: (b) => void committed.push(b.hash),
    });
    expect(cut).toMatchObject({ ok: false, error: { code: 'network' }, progress: { units: 10, batches: 1 } });

    const second = recorder();
    const resumed = await uploadWorkUnits(second.client, JOB, lines(25), { uploadId: 'u2', batchUnits: 10, committed });
    expect(resumed).toMatchObject({ ok: true, value: { units: 25, batches: 3, resumedUnits: 10 } });
    expect(second.sent.map((s) => s.key)).toEqual(['u2.1', 'u2.2']);
  });

  it('refuses to resume when the input before the cut is not the same', async () => {
    const first = recorder((i) => (i === 1 ? { ok: false, error: { code: 'network', message: 'cut' } } : null));
    const committed: string[] = [];
    await uploadWorkUnits(first.client, JOB, lines(25), {
      uploadId: 'u3',
      batchUnits: 10,
      onBatch: (b) => void committed.push(b.hash),
    });
    const second = recorder();
    const refused = await uploadWorkUnits(second.client, JOB, lines(25, 1), {
      uploadId: 'u3',
      batchUnits: 10,
      committed,
    });
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'invalid_input', message: expect.stringContaining('batch 1') },
    });
    expect(second.sent).toEqual([]);
  });

  it('numbers a refused line within the whole input, not within its batch', async () => {
    const { client } = recorder((i) =>
      i === 2
        ? { ok: false, error: { code: 'bad_request', message: 'line 3: input is not base64', index: 2, status: 400 } }
        : null,
    );
    const refused = await uploadWorkUnits(client, JOB, lines(30), { uploadId: 'u4', batchUnits: 10 });
    expect(refused).toMatchObject({ ok: false, error: { message: 'line 23: input is not base64', index: 22 } });
  });
});
