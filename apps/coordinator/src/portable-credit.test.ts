// Portable credit (issue 19), over real HTTP between coordinators (their own ports and keys): a volunteer earns
// credit on grid A, moves some of it to grid B with an export on A (a debit there, addressed to B), and presents the
// proven export to B, which honours A's log: B checks it offline, credits it once, and refuses it the second time,
// forged, from a log it does not honour, addressed to another grid, or presented by another key; and refuses A's
// plain credit receipts, which stay spendable on A. What B credited is an `import` entry of B's own log, which
// verifies against B's key; what A debited is an `export` entry of A's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  API,
  type ExportBody,
  type ExportResponse,
  type ImportResponse,
  type ProvenReceipt,
  generateSigningKeyPair,
  signReceiptBody,
  verifyReceipt,
  walletOf,
  type WellKnown,
} from '@bricolage/protocol';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ManualClock, seededRandom } from './clock';
import { type Coordinator, startCoordinator } from './server';
import { describeBackends, type TestDatabase } from './testing/backends';
import { Researcher, square } from './testing/fixtures';
import { SimVolunteer } from './testing/sim-volunteer';

interface ErrorReply {
  error: { code: string; message: string; index?: number };
}

describeBackends('receipts of another grid', (backend) => {
  let db: TestDatabase | null = null;
  const dirs: string[] = [];
  let a: Coordinator;
  let b: Coordinator;
  let c: Coordinator;
  let aDir = '';
  let bDir = '';
  /** Coordinators a test starts beside these (closed after it). */
  const more: Coordinator[] = [];
  const clock = new ManualClock();

  const scratch = () => {
    const dir = mkdtempSync(join(tmpdir(), 'bricolage-portable-'));
    dirs.push(dir);
    return dir;
  };

  /** Starts a SQLite grid on `dir` (its key made there at the first start) honouring `honoured`. */
  const sqliteGrid = (dir: string, seed: number, honoured: readonly string[] = []) =>
    startCoordinator({ dataDir: dir, port: 0, clock, random: seededRandom(seed), config: { honouredLogs: honoured } });

  beforeEach(async () => {
    // A and C first, to make their keys; B (this suite's backend) honours A; then A honours B and C, and C honours B
    // (a grid moves credit only to grids it honours), restarted on their directories with the same keys.
    aDir = scratch();
    const cDir = scratch();
    a = await sqliteGrid(aDir, 1);
    c = await sqliteGrid(cDir, 3);
    bDir = scratch();
    db = await backend.open(bDir);
    b = await startCoordinator({
      dataDir: bDir,
      databaseUrl: db?.databaseUrl,
      port: 0,
      clock,
      random: seededRandom(2),
      config: { honouredLogs: [a.publicKey] },
    });
    await a.close();
    a = await sqliteGrid(aDir, 1, [b.publicKey, c.publicKey]);
    await c.close();
    c = await sqliteGrid(cDir, 3, [b.publicKey]);
  });

  afterEach(async () => {
    for (const x of [a, b, c, ...more.splice(0)]) await x.close();
    await db?.close();
    db = null;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** Two volunteers compute `n` units on `grid` (quorum 2, 10 credits each); the first one's receipts. */
  async function earnOn(grid: Coordinator, me: SimVolunteer, n: number): Promise<ProvenReceipt[]> {
    const researcher = new Researcher(grid.url, (await grid.createProject('earn')).token);
    const job = await researcher.createSquareJob();
    await researcher.addSquares(job, 1, n);
    const other = await SimVolunteer.create(grid.url);
    for (const v of [me, other]) await v.computeAndSubmit((await v.lease(n)).leases, square);
    return (await me.receipts()).receipts;
  }

  /** `me` moves `amount` of its credit on its grid to the grid whose key is `to`. */
  const move = (me: SimVolunteer, to: string, amount: number, requestId?: string) =>
    me.post<ExportResponse & ErrorReply>(API.exports, { to, amount, requestId });

  /** A key with 30 credit on B (this suite's backend), which moves it to A (B honours A). */
  async function earnedOnB(): Promise<SimVolunteer> {
    const onB = await SimVolunteer.create(b.url);
    await earnOn(b, onB, 3);
    return onB;
  }

  /**
   * `onB` and, on Postgres, the same key signed in at a second coordinator sharing B's database: racing requests
   * through both contend across processes (one process runs its transactions one at a time).
   */
  async function doorsOfB(onB: SimVolunteer): Promise<SimVolunteer[]> {
    if (backend.name !== 'postgres') return [onB];
    const twin = await startCoordinator({
      dataDir: bDir,
      databaseUrl: db?.databaseUrl,
      port: 0,
      clock,
      random: seededRandom(4),
      config: { honouredLogs: [a.publicKey] },
    });
    more.push(twin);
    const onTwin = onB.at(twin.url);
    await onTwin.authenticate();
    return [onB, onTwin];
  }

  /** The `export_requests` rows of B's database, as (request id, log index). */
  const recorded = async () =>
    (await db!.query<{ request_id: string; idx: number }>('SELECT request_id, idx FROM export_requests'))
      .map((r) => [r.request_id, Number(r.idx)])
      .sort();

  it('publishes the logs each grid honours, where the volunteer page reads which way credit may move', async () => {
    const known = async (grid: Coordinator) => (await (await fetch(grid.url + API.wellKnown)).json()) as WellKnown;
    expect((await known(a)).honouredLogs).toEqual([b.publicKey, c.publicKey]);
    expect((await known(b)).honouredLogs).toEqual([a.publicKey]);
  });

  it('moves credit: an export debits it on its grid, and the grid it names credits it once', async () => {
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
    expect(broke).toMatchObject({ status: 409, body: { error: { code: 'conflict', message: /may move: 0/ } } });
    expect((await onA.receipts()).receipts).toHaveLength(size);
    expect(await onA.stats()).toMatchObject({ spent: 30, balance: 0 });
  });

  it('refuses a credit receipt, a forged export, one to another grid or of a log it does not honour, another key’s, and its own', async () => {
    const onA = await SimVolunteer.create(a.url);
    const [credit] = await earnOn(a, onA, 2);
    const onB = onA.at(b.url);
    await onB.authenticate();
    const refused = async (receipt: unknown) => {
      const reply = await onB.post<ErrorReply>(API.imports, { receipts: [receipt] });
      return { status: reply.status, code: reply.body.error.code, message: reply.body.error.message };
    };

    // A credit receipt stays spendable on A: honoured here, it would count twice.
    expect(await refused(credit)).toMatchObject({ status: 400, message: /credit receipt.*export/ });
    const real = (await move(onA, b.publicKey, 5)).body.receipt;
    // Forged: the amount raised after A signed it.
    const inflated = {
      ...real,
      receipt: { ...real.receipt, body: { ...(real.receipt.body as ExportBody), debit: 1e6 } },
    };
    expect(await refused(inflated)).toMatchObject({ status: 400, message: /signature does not verify/ });
    // Signed by a key that is not A's, naming A's log.
    const impostor = await generateSigningKeyPair();
    const resigned = { ...real, receipt: await signReceiptBody(impostor.privateKey, real.receipt.body) };
    expect(await refused(resigned)).toMatchObject({ status: 400, message: /signature does not verify/ });
    // A real export of A's, addressed to C.
    const toC = (await move(onA, c.publicKey, 5)).body.receipt;
    expect(await refused(toC)).toMatchObject({ status: 403, message: /to another grid/ });
    // A real export of grid C, which B does not honour.
    const onC = onA.at(c.url);
    await onC.authenticate();
    await earnOn(c, onC, 1);
    const fromC = (await move(onC, b.publicKey, 5)).body.receipt;
    expect(await refused(fromC)).toMatchObject({ status: 403, message: /does not honour/ });
    // A's export presented by another key.
    const thief = await SimVolunteer.create(b.url);
    const stolen = await thief.post<ErrorReply>(API.imports, { receipts: [real] });
    expect(stolen).toMatchObject({ status: 403, body: { error: { message: /another volunteer/ } } });
    // B's own entries are counted on B already.
    const local = await earnOn(b, onB, 1);
    expect(await refused(local[0])).toMatchObject({ status: 400, message: /this grid's own/ });
    // Not a receipt at all.
    expect(await refused({ hello: 'world' })).toMatchObject({ status: 403 });
    expect(await onB.stats()).toMatchObject({ credit: 10 });
    // The real one goes through.
    expect(await onB.post(API.imports, { receipts: [real] })).toMatchObject({ status: 200, body: { credit: 5 } });

    // And A refuses exports that make no sense: to itself, to no key, to a grid it does not honour (nothing there
    // would credit it), of nothing, or of less than a thousandth (lost in the balance's rounding, yet an entry of
    // each log). Its log took none of them.
    const size = (await onA.receipts()).receipts.length;
    expect(await move(onA, a.publicKey, 1)).toMatchObject({ status: 400, body: { error: { message: /own key/ } } });
    expect(await move(onA, 'grid-b', 1)).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });
    const stranger = (await generateSigningKeyPair()).publicKeyText;
    expect(await move(onA, stranger, 1)).toMatchObject({ status: 403, body: { error: { message: /honours/ } } });
    for (const amount of [0, -5, 'ten', 1e-20, 0.0009])
      expect(await move(onA, b.publicKey, amount as number)).toMatchObject({ status: 400 });
    expect((await onA.receipts()).receipts).toHaveLength(size);
  });

  it('moves only what the key may spend: not credit earned on its own jobs, nor what the replicas out on them will cost', async () => {
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
      body: { error: { message: /may move: 0/ } },
    });

    // Earned 30 more; then another unit of its job is leased to a volunteer: that replica's 10 is spoken for, and
    // the 10 of the second replica the started unit still wants is kept for it.
    await earnOn(a, onA, 3);
    await mine.addSquares(job, 200, 1);
    expect((await other.lease(1)).leases).toHaveLength(1);
    expect(await move(onA, b.publicKey, 20)).toMatchObject({
      status: 409,
      body: { error: { message: /may move: 10/ } },
    });
    expect(await move(onA, b.publicKey, 10)).toMatchObject({ status: 200 });
    expect(await onA.stats()).toMatchObject({ spent: 30, balance: 20 });
  });

  it('keeps back what the known-answer replicas out on the key’s own job will cost, and leases no more than it covers', async () => {
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
      body: { error: { message: /may move: 0/ } },
    });
    await other.computeAndSubmit(leased, square);
    expect((await onA.stats()).balance).toBeGreaterThanOrEqual(0);
  });

  it('answers an export sent again with the same requestId with the first one’s receipt, moving nothing more', async () => {
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
    const onA = await SimVolunteer.create(a.url);
    await earnOn(a, onA, 3);
    const id = 'before-the-list-changed';
    const first = await move(onA, c.publicKey, 10, id);
    expect(first.status).toBe(200);
    // A's operator stops honouring C (restarted on its directory: the same key, the same log).
    await a.close();
    a = await sqliteGrid(aDir, 1, [b.publicKey]);
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
    const onB = await earnedOnB();
    const id = 'used-once-0123456789';
    expect(await move(onB, a.publicKey, 10, id)).toMatchObject({ status: 200 });
    const size = (await onB.receipts()).receipts.length;
    expect(await move(onB, a.publicKey, 11, id)).toMatchObject({
      status: 409,
      body: { error: { code: 'conflict', message: /requestId .* was used for another export \(to .*, amount 10\)/ } },
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
      body: { error: { code: 'conflict', message: /was used for another export \(to .*, amount 5\)/ } },
    });
    expect(await onA.stats()).toMatchObject({ spent: 5, balance: 15 });
  });

  it('moves twice for two requestIds, and refuses a malformed one', async () => {
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
    ).toMatchObject({ status: 400, body: { error: { code: 'bad_request', message: /requestID/ } } });
    expect((await onB.receipts()).receipts).toHaveLength(size);
    expect(await onB.stats()).toMatchObject({ spent: 20, balance: 10 });
    expect((await recorded()).map(([id]) => id)).toEqual(['first-move-0123456789', 'second-move-012345678']);
  });

  it('moves once when copies of one request race, of one grid’s coordinators', async () => {
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
