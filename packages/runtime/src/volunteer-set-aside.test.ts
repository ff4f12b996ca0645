// The volunteer and results set aside in its outbox: those an earlier page set aside are reported as soon as the
// volunteer is made (a reload shows them), retrying puts them back into delivery, and what another page sharing the
// outbox did to them is read again when asked.
import { API, generateSigningKeyPair, type SubmittedResult } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { result } from './client/fakes';
import { MemoryOutbox } from './outbox';
import { createVolunteer } from './volunteer';

/** A coordinator that signs the volunteer in and answers each submit with `answer` (the results it was sent). */
function coordinator(answer: (results: SubmittedResult[]) => Response) {
  const submitted: string[][] = [];
  const fetch = (async (url: string | URL, init?: RequestInit) => {
    const path = new URL(String(url)).pathname;
    if (path === API.challenge)
      return Response.json({ challenge: 'challenge-abcdefghijkl', expiresAt: Date.now() + 60_000 });
    if (path === API.token) return Response.json({ token: 'tok', expiresAt: Date.now() + 600_000 });
    if (path !== API.submit) return Response.json({ error: { code: 'not_found', message: path } }, { status: 404 });
    const { results } = JSON.parse(String(init?.body)) as { results: SubmittedResult[] };
    submitted.push(results.map((r) => r.lease));
    return answer(results);
  }) as typeof globalThis.fetch;
  return { fetch, submitted };
}

/** An outbox as an earlier page left it: `ls_1` set aside after 5 failures, `ls_2` still to deliver. */
async function leftByEarlierPage(): Promise<MemoryOutbox> {
  const outbox = new MemoryOutbox();
  await outbox.putMany([1, 2].map((n) => ({ id: `ls_${n}`, result: result(n), createdAt: n })));
  for (let i = 0; i < 5; i++) await outbox.recordFailure('ls_1');
  await outbox.setAside('ls_1', { code: 'internal', message: 'internal error' }, 10);
  return outbox;
}

async function volunteerOver(outbox: MemoryOutbox, fetch: typeof globalThis.fetch) {
  return createVolunteer({
    coordinator: 'http://coord.test',
    identity: await generateSigningKeyPair(false),
    outbox,
    fetch,
    calibration: false,
  });
}

describe('a volunteer over an outbox holding results set aside', () => {
  it('reports those an earlier page set aside as soon as it is made', async () => {
    const { fetch } = coordinator((results) => Response.json({ accepted: results.length, repeated: 0 }));
    const volunteer = await volunteerOver(await leftByEarlierPage(), fetch);
    const status = await volunteer.status();
    expect(status.counts).toMatchObject({ setAside: 1, dropped: 1, outbox: 1 });
    expect(status.dropped).toEqual([
      {
        lease: 'ls_1',
        code: 'internal',
        message: 'internal error (failed 5 times; kept aside in this browser)',
        kind: 'set-aside',
      },
    ]);
    await volunteer.close(0);
  });

  it('puts them back into delivery on retry, and delivers them', async () => {
    const { fetch, submitted } = coordinator((results) => Response.json({ accepted: results.length, repeated: 0 }));
    const outbox = await leftByEarlierPage();
    const volunteer = await volunteerOver(outbox, fetch);
    expect(await volunteer.retrySetAside()).toBe(1);
    // Shown no longer as set aside from the moment it is back in delivery.
    expect((await volunteer.status()).counts).toMatchObject({ setAside: 0, dropped: 0 });
    expect(await volunteer.flush(5000)).toBe(true);
    const status = await volunteer.status();
    expect(status.counts).toMatchObject({ accepted: 2, setAside: 0, dropped: 0, outbox: 0 });
    expect(status.dropped).toEqual([]);
    expect(submitted.flat().sort()).toEqual(['ls_1', 'ls_2']);
    expect(await outbox.setAsideEntries()).toEqual([]);
    expect(await volunteer.retrySetAside()).toBe(0);
    await volunteer.close(0);
  });

  it('reads them again when told that another page sharing the outbox put them back or set more aside', async () => {
    const { fetch } = coordinator(() =>
      Response.json({ error: { code: 'internal', message: 'down' } }, { status: 503 }),
    );
    const outbox = await leftByEarlierPage();
    const volunteer = await volunteerOver(outbox, fetch);
    // Another tab's Retry: no event of it reaches this volunteer, whose status shows what it last read until told.
    await outbox.retryAside();
    expect((await volunteer.status()).counts).toMatchObject({ setAside: 1 });
    await volunteer.readSetAside();
    expect((await volunteer.status()).counts).toMatchObject({ setAside: 0, dropped: 0, outbox: 2 });
    expect((await volunteer.status()).dropped).toEqual([]);

    await outbox.setAside('ls_2', { code: 'internal', message: 'internal error' }, 11);
    await volunteer.readSetAside();
    const status = await volunteer.status();
    expect(status.counts).toMatchObject({ setAside: 1, dropped: 1, outbox: 1 });
    expect(status.dropped).toMatchObject([{ lease: 'ls_2', kind: 'set-aside' }]);
    await volunteer.close(0);
  });

  it('drops a retried result the coordinator now refuses, as any refused result', async () => {
    const { fetch } = coordinator((results) =>
      results.some((r) => r.lease === 'ls_1')
        ? Response.json(
            {
              error: {
                code: 'lease_expired',
                message: 'the lease expired',
                index: results.findIndex((r) => r.lease === 'ls_1'),
              },
            },
            { status: 410 },
          )
        : Response.json({ accepted: results.length, repeated: 0 }),
    );
    const volunteer = await volunteerOver(await leftByEarlierPage(), fetch);
    await volunteer.retrySetAside();
    expect(await volunteer.flush(5000)).toBe(true);
    const status = await volunteer.status();
    expect(status.counts).toMatchObject({ accepted: 1, setAside: 0, dropped: 1, outbox: 0 });
    expect(status.dropped).toMatchObject([{ lease: 'ls_1', code: 'lease_expired', kind: 'refused' }]);
    await volunteer.close(0);
  });
});
