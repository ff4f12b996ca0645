// Exports named by a client's requestId (issue 19), over real HTTP between coordinators (testing/honouring-grids.ts):
// an export sent again under its requestId (its answer lost) is answered with the first one's receipt and moves
// nothing more, even after the receiving grid left the honoured list; a requestId used for another export is
// refused; copies of one request, or exports of the same credit, that race through one grid's coordinators move it
// once; and a key may settle its request by its id alone: the export it made, or closed, and then never made.
import { API, verifyReceipt, walletOf } from '@bricolage/protocol';
import { expect, it } from 'vitest';
import { describeBackends } from './testing/backends';
import { useHonouringGrids } from './testing/honouring-grids';
import { SimVolunteer } from './testing/sim-volunteer';

describeBackends('exports named by a requestId', (backend) => {
  const grids = useHonouringGrids(backend);
  const { earnOn, move, settle, earnedOnB, doorsOfB, recorded } = grids;
  it('answers an export sent again with the same requestId with the first one’s receipt, moving nothing more', async () => {
    const { a, b } = grids;
    const onB = await earnedOnB();
    const onA = onB.at(a.url);
    await onA.authenticate();
    const id = 'retry-0123456789abcdef';
    const first = await move(onB, a.publicKey, 10, id);
    expect(first.status).toBe(200);
    const index = first.body.receipt.receipt.body.index;
    expect(await recorded()).toEqual([[id, index]]);
    // The log grows in between (another move, without a requestId): the repeat is proven against the newest head.
    expect(await move(onB, a.publicKey, 5)).toMatchObject({ status: 200 });
    const size = (await onB.receipts()).receipts.length;

    const again = await move(onB, a.publicKey, 10, id);
    expect(again.status).toBe(200);
    expect(again.body.receipt.receipt).toEqual(first.body.receipt.receipt);
    expect(again.body.receipt.treeHead.head.size).toBeGreaterThan(first.body.receipt.treeHead.head.size);
    expect(await verifyReceipt(again.body.receipt, b.publicKey)).toMatchObject({ ok: true });
    expect((await onB.receipts()).receipts).toHaveLength(size);
    expect(await onB.stats()).toMatchObject({ credit: 30, spent: 15, balance: 15 });
    expect(await recorded()).toEqual([[id, index]]);
    // Either answer credits A once.
    expect(await onA.post(API.imports, { receipts: [again.body.receipt] })).toMatchObject({ body: { credit: 10 } });
    expect(await onA.post(API.imports, { receipts: [first.body.receipt] })).toMatchObject({ status: 409 });
  });

  it('answers a retry with its receipt after the operator took the receiving grid off the list, and refuses a new move there', async () => {
    let { a } = grids;
    const { b, c } = grids;
    const onA = await SimVolunteer.create(a.url);
    await earnOn(a, onA, 3);
    const id = 'before-the-list-changed';
    const first = await move(onA, c.publicKey, 10, id);
    expect(first.status).toBe(200);
    // A's operator stops honouring C (restarted on its directory: the same key, the same log).
    a = await grids.restartA([b.publicKey]);
    const onA2 = onA.at(a.url);
    await onA2.authenticate();
    const again = await move(onA2, c.publicKey, 10, id);
    expect(again.status).toBe(200);
    expect(again.body.receipt.receipt).toEqual(first.body.receipt.receipt);
    expect(await move(onA2, c.publicKey, 10, 'a-new-move-0123456789')).toMatchObject({
      status: 403,
      body: { error: { code: 'forbidden' } },
    });
    expect(await onA2.stats()).toMatchObject({ spent: 10 });
  });

  it('refuses a requestId used before for another export, moving nothing', async () => {
    const { a, b, c } = grids;
    const onB = await earnedOnB();
    const id = 'used-once-0123456789';
    expect(await move(onB, a.publicKey, 10, id)).toMatchObject({ status: 200 });
    const size = (await onB.receipts()).receipts.length;
    expect(await move(onB, a.publicKey, 11, id)).toMatchObject({
      status: 409,
      body: {
        error: {
          code: 'conflict',
          message: expect.stringMatching(/requestId .* was used for another export \(to .*, amount 10\)/),
        },
      },
    });
    expect((await onB.receipts()).receipts).toHaveLength(size);
    expect(await onB.stats()).toMatchObject({ spent: 10, balance: 20 });
    expect(await recorded()).toHaveLength(1);

    // Another `to` under a used requestId: on A (SQLite), which honours both B and C.
    const onA = await SimVolunteer.create(a.url);
    await earnOn(a, onA, 2);
    expect(await move(onA, b.publicKey, 5, id)).toMatchObject({ status: 200 });
    expect(await move(onA, c.publicKey, 5, id)).toMatchObject({
      status: 409,
      body: {
        error: { code: 'conflict', message: expect.stringMatching(/was used for another export \(to .*, amount 5\)/) },
      },
    });
    expect(await onA.stats()).toMatchObject({ spent: 5, balance: 15 });
  });

  it('moves twice for two requestIds, and refuses a malformed one', async () => {
    const { a } = grids;
    const onB = await earnedOnB();
    const one = await move(onB, a.publicKey, 10, 'first-move-0123456789');
    const two = await move(onB, a.publicKey, 10, 'second-move-012345678');
    expect([one.status, two.status]).toEqual([200, 200]);
    expect(two.body.receipt.receipt.body.index).not.toBe(one.body.receipt.receipt.body.index);
    expect(await onB.stats()).toMatchObject({ spent: 20, balance: 10 });
    const size = (await onB.receipts()).receipts.length;
    for (const bad of [
      'short-012345678',
      'x'.repeat(65),
      'has space 0123456789',
      'dots.0123456789.abc',
      'é'.repeat(20),
      42,
      '',
    ])
      expect(await move(onB, a.publicKey, 1, bad as string)).toMatchObject({
        status: 400,
        body: { error: { code: 'bad_request' } },
      });
    // A misspelt requestId is refused, not dropped: the move would have gone without an id to be retried under.
    expect(
      await onB.post(API.exports, { to: a.publicKey, amount: 1, requestID: 'third-move-0123456789' }),
    ).toMatchObject({
      status: 400,
      body: { error: { code: 'bad_request', message: expect.stringMatching(/requestID/) } },
    });
    expect((await onB.receipts()).receipts).toHaveLength(size);
    expect(await onB.stats()).toMatchObject({ spent: 20, balance: 10 });
    expect((await recorded()).map(([id]) => id)).toEqual(['first-move-0123456789', 'second-move-012345678']);
  });

  it('settles a request made before with its export, the same each time, and moves nothing', async () => {
    const { a, b } = grids;
    const onB = await earnedOnB();
    const id = 'made-then-settled-0123';
    const first = await move(onB, a.publicKey, 10, id);
    expect(first.status).toBe(200);
    // Another move of the same amount the same way (another tab's) is not this request's.
    expect(await move(onB, a.publicKey, 10, 'another-tab-0123456789')).toMatchObject({ status: 200 });
    for (let i = 0; i < 2; i++) {
      const settled = await settle(onB, id);
      expect(settled.status).toBe(200);
      if (settled.body.kind !== 'exported') throw new Error(`no export: ${JSON.stringify(settled.body)}`);
      expect(settled.body.receipt.receipt).toEqual(first.body.receipt.receipt);
      expect(await verifyReceipt(settled.body.receipt, b.publicKey)).toMatchObject({ ok: true });
    }
    // Settling moves nothing, and a retry of the request itself is still answered with its export.
    expect(await onB.stats()).toMatchObject({ spent: 20, balance: 10 });
    const again = await move(onB, a.publicKey, 10, id);
    expect(again.body.receipt.receipt).toEqual(first.body.receipt.receipt);
    expect(await onB.stats()).toMatchObject({ spent: 20, balance: 10 });
  });

  it('closes a request settled before it landed: the request landing late is refused, nothing moved', async () => {
    const { a } = grids;
    const onB = await earnedOnB();
    const id = 'settled-then-late-0123';
    expect(await settle(onB, id)).toMatchObject({ status: 200, body: { kind: 'closed' } });
    const size = (await onB.receipts()).receipts.length;
    expect(await move(onB, a.publicKey, 10, id)).toMatchObject({
      status: 409,
      body: {
        error: {
          code: 'conflict',
          message: expect.stringMatching(/requestId settled-then-late-0123 was settled as not made/),
        },
      },
    });
    // Settled again: closed, as before; the key's other moves go on as ever.
    expect(await settle(onB, id)).toMatchObject({ status: 200, body: { kind: 'closed' } });
    expect((await onB.receipts()).receipts).toHaveLength(size);
    expect(await onB.stats()).toMatchObject({ spent: 0, balance: 30 });
    expect(await recorded()).toEqual([]);
    expect(await move(onB, a.publicKey, 10, 'a-new-move-0123456789')).toMatchObject({ status: 200 });
    // Another key's request of the same id is its own: not closed by this one's settle.
    const other = await SimVolunteer.create(grids.b.url);
    await earnOn(grids.b, other, 1);
    expect(await move(other, a.publicKey, 5, id)).toMatchObject({ status: 200 });
  });

  it('gives one answer when a request and its settle race, of one grid’s coordinators: moved and exported, or refused and closed', async () => {
    const { a } = grids;
    const onB = await earnedOnB();
    const doors = await doorsOfB(onB);
    // Six requests of 1, each raced by its settle (through the other door on Postgres).
    const ids = Array.from({ length: 6 }, (_, i) => `raced-by-settle-${i}-0123456789`);
    const raced = await Promise.all(
      ids.map((id, i) =>
        Promise.all([move(doors[i % doors.length]!, a.publicKey, 1, id), settle(doors[(i + 1) % doors.length]!, id)]),
      ),
    );
    let moved = 0;
    for (const [exported, settled] of raced) {
      if (exported.status === 200) {
        moved++;
        expect(settled.body).toMatchObject({ kind: 'exported' });
        if (settled.body.kind === 'exported')
          expect(settled.body.receipt.receipt).toEqual(exported.body.receipt.receipt);
      } else {
        expect(exported).toMatchObject({
          status: 409,
          body: { error: { message: expect.stringMatching(/settled as not made/) } },
        });
        expect(settled.body).toEqual({ kind: 'closed' });
      }
    }
    expect(await onB.stats()).toMatchObject({ spent: moved, balance: 30 - moved });
    expect(await recorded()).toHaveLength(moved);
  });

  it('refuses to settle a malformed requestId, or for anyone without a token', async () => {
    const onB = await earnedOnB();
    for (const bad of [
      'short-012345678',
      'x'.repeat(65),
      'has space 0123456789',
      'dots.0123456789.abc',
      'é'.repeat(20),
    ])
      expect(await settle(onB, bad)).toMatchObject({
        status: 400,
        body: { error: { code: 'bad_request', message: expect.stringMatching(/requestId/) } },
      });
    const anonymous = await fetch(grids.b.url + API.settleExport('asked-after-0123456789'), { method: 'POST' });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { code: 'unauthorized' } });
    // The read it replaces is gone: a GET of the request settles nothing.
    expect((await onB.get(API.settleExport('asked-after-0123456789'))).status).toBe(404);
  });

  it('moves once when copies of one request race, of one grid’s coordinators', async () => {
    const { a } = grids;
    // 30 on B; eight copies of a move of 10 under one requestId, on Postgres through two coordinators sharing B's
    // database: each answered with the one export, which leaves 20.
    const onB = await earnedOnB();
    const doors = await doorsOfB(onB);
    const id = 'racing-0123456789abcdef';
    const replies = await Promise.all(
      Array.from({ length: 8 }, (_, i) => move(doors[i % doors.length]!, a.publicKey, 10, id)),
    );
    expect(replies.map((r) => r.status)).toEqual(Array<number>(8).fill(200));
    expect(new Set(replies.map((r) => r.body.receipt.receipt.body.index)).size).toBe(1);
    expect(await onB.stats()).toMatchObject({ credit: 30, spent: 10, balance: 20 });
    const entries = (await onB.receipts()).receipts.map((r) => r.receipt.body);
    expect(entries.filter((e) => e.type === 'export')).toHaveLength(1);
    expect(await recorded()).toEqual([[id, replies[0]!.body.receipt.receipt.body.index]]);
  });

  it('moves the same credit once when several exports ask for it at the same moment, of one grid’s coordinators', async () => {
    const { a, b } = grids;
    // B (this suite's backend) holds 30 of the key's credit, moved in from A; eight exports of all of it race, on
    // Postgres through two coordinators sharing B's database (one process runs its transactions one at a time).
    const onA = await SimVolunteer.create(a.url);
    await earnOn(a, onA, 3);
    const onB = onA.at(b.url);
    await onB.authenticate();
    const exported = (await move(onA, b.publicKey, 30)).body.receipt;
    expect(await onB.post(API.imports, { receipts: [exported] })).toMatchObject({ status: 200 });
    const doors = await doorsOfB(onB);
    const replies = await Promise.all(
      Array.from({ length: 8 }, (_, i) => move(doors[i % doors.length]!, a.publicKey, 30)),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([200, ...Array<number>(7).fill(409)]);
    expect(await onB.stats()).toMatchObject({ credit: 30, spent: 30, balance: 0 });
    const entries = (await onB.receipts()).receipts.map((r) => r.receipt.body);
    expect(entries.filter((e) => e.type === 'export')).toHaveLength(1);
    expect(walletOf(entries, onB.key)).toMatchObject({ earned: 30, spent: 30, balance: 0 });
  });
});
