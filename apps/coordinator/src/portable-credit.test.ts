// Portable credit (issue 19), over real HTTP between coordinators (their own ports and keys): a volunteer earns
// credit on grid A, moves some of it to grid B with an export on A (a debit there, addressed to B), and presents the
// proven export to B, which honours A's log: B checks it offline, credits it once, and refuses it the second time,
// forged, from a log it does not honour, addressed to another grid, or presented by another key; and refuses A's
// plain credit receipts, which stay spendable on A. What B credited is an `import` entry of B's own log, which
// verifies against B's key; what A debited is an `export` entry of A's. An export sent again under its requestId,
// and exports that race, are export-requests.test.ts's.
import {
  API,
  type ExportBody,
  type ImportResponse,
  generateSigningKeyPair,
  signReceiptBody,
  verifyReceipt,
  walletOf,
  type WellKnown,
} from '@bricolage/protocol';
import { expect, it } from 'vitest';
import type { Coordinator } from './server';
import { describeBackends } from './testing/backends';
import { Researcher, square } from './testing/fixtures';
import { type ErrorReply, useHonouringGrids } from './testing/honouring-grids';
import { SimVolunteer } from './testing/sim-volunteer';

describeBackends('receipts of another grid', (backend) => {
  const grids = useHonouringGrids(backend);
  const { earnOn, move } = grids;
  it('publishes the logs each grid honours, where the volunteer page reads which way credit may move', async () => {
    const { a, b, c } = grids;
    const known = async (grid: Coordinator) => (await (await fetch(grid.url + API.wellKnown)).json()) as WellKnown;
    expect((await known(a)).honouredLogs).toEqual([b.publicKey, c.publicKey]);
    expect((await known(b)).honouredLogs).toEqual([a.publicKey]);
  });

  it('moves credit: an export debits it on its grid, and the grid it names credits it once', async () => {
    const { a, b } = grids;
    const onA = await SimVolunteer.create(a.url);
    await earnOn(a, onA, 3);
    const onB = onA.at(b.url);
    await onB.authenticate();

    const moved = await move(onA, b.publicKey, 20);
    expect(moved.status).toBe(200);
    const exported = moved.body.receipt;
    expect(await verifyReceipt(exported, a.publicKey)).toMatchObject({ ok: true });
    expect(exported.receipt.body).toMatchObject({ type: 'export', volunteer: onA.key, to: b.publicKey, debit: 20 });
    // A debited it: what A's log gives the key is what A's counters say.
    expect(await onA.stats()).toMatchObject({ credit: 30, spent: 20, balance: 10 });
    const onALog = (await onA.receipts()).receipts.map((r) => r.receipt.body);
    expect(walletOf(onALog, onA.key)).toEqual({ earned: 30, unspendable: 0, spent: 20, balance: 10 });

    const first = await onB.post<ImportResponse>(API.imports, { receipts: [exported] });
    expect(first).toMatchObject({ status: 200, body: { accepted: 1, credit: 20 } });
    expect(await onB.stats()).toMatchObject({ credit: 20, balance: 20 });
    // B's own log says so, in an entry that verifies against B's key and names the export in A's log.
    const [entry] = (await onB.receipts()).receipts;
    expect(await verifyReceipt(entry, b.publicKey)).toMatchObject({ ok: true });
    expect(entry!.receipt.body).toEqual({
      v: 1,
      type: 'import',
      log: b.publicKey,
      index: entry!.receipt.body.index,
      volunteer: onA.key,
      from: a.publicKey,
      fromIndex: exported.receipt.body.index,
      credit: 20,
      at: entry!.receipt.body.at,
    });

    // Again, or again among new ones: refused whole, naming it; nothing more credited.
    const again = await onB.post<ErrorReply>(API.imports, { receipts: [exported] });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'conflict', index: 0 });
    const more = (await move(onA, b.publicKey, 10)).body.receipt;
    const mixed = await onB.post<ErrorReply>(API.imports, { receipts: [more, exported] });
    expect(mixed).toMatchObject({ status: 409, body: { error: { index: 1 } } });
    expect(await onB.stats()).toMatchObject({ credit: 20 });
    // The new one alone goes through: the refused request claimed nothing.
    expect(await onB.post(API.imports, { receipts: [more] })).toMatchObject({ status: 200 });
    expect(await onB.stats()).toMatchObject({ credit: 30, balance: 30 });

    // A has nothing left to move, and says so; its log took no entry for the refusal.
    const size = (await onA.receipts()).receipts.length;
    const broke = await move(onA, b.publicKey, 1);
    expect(broke).toMatchObject({
      status: 409,
      body: { error: { code: 'conflict', message: expect.stringMatching(/may move: 0/) } },
    });
    expect((await onA.receipts()).receipts).toHaveLength(size);
    expect(await onA.stats()).toMatchObject({ spent: 30, balance: 0 });
  });

  it('refuses a credit receipt, a forged export, one to another grid or of a log it does not honour, another key’s, and its own', async () => {
    const { a, b, c } = grids;
    const onA = await SimVolunteer.create(a.url);
    const [credit] = await earnOn(a, onA, 2);
    const onB = onA.at(b.url);
    await onB.authenticate();
    const refused = async (receipt: unknown) => {
      const reply = await onB.post<ErrorReply>(API.imports, { receipts: [receipt] });
      return { status: reply.status, code: reply.body.error.code, message: reply.body.error.message };
    };

    // A credit receipt stays spendable on A: honoured here, it would count twice.
    expect(await refused(credit)).toMatchObject({
      status: 400,
      message: expect.stringMatching(/credit receipt.*export/),
    });
    const real = (await move(onA, b.publicKey, 5)).body.receipt;
    // Forged: the amount raised after A signed it.
    const inflated = {
      ...real,
      receipt: { ...real.receipt, body: { ...(real.receipt.body as ExportBody), debit: 1e6 } },
    };
    expect(await refused(inflated)).toMatchObject({
      status: 400,
      message: expect.stringMatching(/signature does not verify/),
    });
    // Signed by a key that is not A's, naming A's log.
    const impostor = await generateSigningKeyPair();
    const resigned = { ...real, receipt: await signReceiptBody(impostor.privateKey, real.receipt.body) };
    expect(await refused(resigned)).toMatchObject({
      status: 400,
      message: expect.stringMatching(/signature does not verify/),
    });
    // A real export of A's, addressed to C.
    const toC = (await move(onA, c.publicKey, 5)).body.receipt;
    expect(await refused(toC)).toMatchObject({ status: 403, message: expect.stringMatching(/to another grid/) });
    // A real export of grid C, which B does not honour.
    const onC = onA.at(c.url);
    await onC.authenticate();
    await earnOn(c, onC, 1);
    const fromC = (await move(onC, b.publicKey, 5)).body.receipt;
    expect(await refused(fromC)).toMatchObject({ status: 403, message: expect.stringMatching(/does not honour/) });
    // A's export presented by another key.
    const thief = await SimVolunteer.create(b.url);
    const stolen = await thief.post<ErrorReply>(API.imports, { receipts: [real] });
    expect(stolen).toMatchObject({
      status: 403,
      body: { error: { message: expect.stringMatching(/another volunteer/) } },
    });
    // B's own entries are counted on B already.
    const local = await earnOn(b, onB, 1);
    expect(await refused(local[0])).toMatchObject({ status: 400, message: expect.stringMatching(/this grid's own/) });
    // Not a receipt at all.
    expect(await refused({ hello: 'world' })).toMatchObject({ status: 403 });
    expect(await onB.stats()).toMatchObject({ credit: 10 });
    // The real one goes through.
    expect(await onB.post(API.imports, { receipts: [real] })).toMatchObject({ status: 200, body: { credit: 5 } });

    // And A refuses exports that make no sense: to itself, to no key, to a grid it does not honour (nothing there
    // would credit it), of nothing, or of less than a thousandth (lost in the balance's rounding, yet an entry of
    // each log). Its log took none of them.
    const size = (await onA.receipts()).receipts.length;
    expect(await move(onA, a.publicKey, 1)).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringMatching(/own key/) } },
    });
    expect(await move(onA, 'grid-b', 1)).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });
    const stranger = (await generateSigningKeyPair()).publicKeyText;
    expect(await move(onA, stranger, 1)).toMatchObject({
      status: 403,
      body: { error: { message: expect.stringMatching(/honours/) } },
    });
    for (const amount of [0, -5, 'ten', 1e-20, 0.0009])
      expect(await move(onA, b.publicKey, amount as number)).toMatchObject({ status: 400 });
    expect((await onA.receipts()).receipts).toHaveLength(size);
  });

  it('moves only what the key may spend: not credit earned on its own jobs, nor what the replicas out on them will cost', async () => {
    const { a, b } = grids;
    const onA = await SimVolunteer.create(a.url);
    await earnOn(a, onA, 2);
    // onA pays a job with its credit on A and computes it too, with another volunteer (quorum 2, 10 a replica).
    const opened = await onA.post<{ token: string }>(API.myFundedProject, { name: 'mine' });
    expect(opened.status).toBe(200);
    const mine = new Researcher(a.url, opened.body.token);
    const job = await mine.createSquareJob();
    await mine.addSquares(job, 100, 1);
    const other = await SimVolunteer.create(a.url);
    for (const v of [onA, other]) await v.computeAndSubmit((await v.lease(1)).leases, square);
    // Earned 30 (10 of it on its own job: not spendable), spent 20 on that job: nothing to move.
    expect(await onA.stats()).toMatchObject({ credit: 30, unspendable: 10, spent: 20, balance: 0 });
    expect(await move(onA, b.publicKey, 10)).toMatchObject({
      status: 409,
      body: { error: { message: expect.stringMatching(/may move: 0/) } },
    });

    // Earned 30 more; then another unit of its job is leased to a volunteer: that replica's 10 is spoken for, and
    // the 10 of the second replica the started unit still wants is kept for it.
    await earnOn(a, onA, 3);
    await mine.addSquares(job, 200, 1);
    expect((await other.lease(1)).leases).toHaveLength(1);
    expect(await move(onA, b.publicKey, 20)).toMatchObject({
      status: 409,
      body: { error: { message: expect.stringMatching(/may move: 10/) } },
    });
    expect(await move(onA, b.publicKey, 10)).toMatchObject({ status: 200 });
    expect(await onA.stats()).toMatchObject({ spent: 30, balance: 20 });
  });

  it('keeps back what the known-answer replicas out on the key’s own job will cost, and leases no more than it covers', async () => {
    const { a, b } = grids;
    const onA = await SimVolunteer.create(a.url);
    await earnOn(a, onA, 2);
    const opened = await onA.post<{ token: string }>(API.myFundedProject, { name: 'mine' });
    const mine = new Researcher(a.url, opened.body.token);
    // Known answers in every lease slot they may take: six of them (each debits its funder once per replica that
    // passes), leased one at a time by one key.
    const job = await mine.createSquareJob({ knownAnswerRate: 1 });
    expect((await mine.addSquares(job, 100, 1, 6)).status).toBe(200);
    const other = await SimVolunteer.create(a.url);
    const leased = [];
    for (let i = 0; i < 6; i++) leased.push(...(await other.lease(1)).leases);
    // Its 20 pays for two replicas: no more are leased (each known answer out counted against the balance, not only
    // within one lease), and those out are spoken for: nothing moves.
    expect(leased.length).toBeGreaterThan(0);
    expect(leased.length).toBeLessThanOrEqual(2);
    expect(await move(onA, b.publicKey, 20)).toMatchObject({
      status: 409,
      body: { error: { message: expect.stringMatching(/may move: 0/) } },
    });
    await other.computeAndSubmit(leased, square);
    expect((await onA.stats()).balance).toBeGreaterThanOrEqual(0);
  });
});
