// Portable credit (issue 19), over real HTTP between two coordinators (two ports, two keys): a volunteer
// earns receipts on grid A and presents them to grid B, which honours A's log; B checks them offline,
// credits them once, and refuses them the second time, forged, from a log it does not honour, or presented by
// another key. What B credited is an `import` entry of B's own log, which verifies against B's key.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  API,
  type CreditBody,
  type ImportResponse,
  type ProvenReceipt,
  generateSigningKeyPair,
  signReceiptBody,
  verifyReceipt,
  walletOf,
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
  const clock = new ManualClock();

  const scratch = () => {
    const dir = mkdtempSync(join(tmpdir(), 'bricolage-portable-'));
    dirs.push(dir);
    return dir;
  };

  beforeEach(async () => {
    a = await startCoordinator({ dataDir: scratch(), port: 0, clock, random: seededRandom(1) });
    c = await startCoordinator({ dataDir: scratch(), port: 0, clock, random: seededRandom(3) });
    const dir = scratch();
    db = await backend.open(dir);
    b = await startCoordinator({
      dataDir: dir,
      databaseUrl: db?.databaseUrl,
      port: 0,
      clock,
      random: seededRandom(2),
      config: { honouredLogs: [a.publicKey] },
    });
  });

  afterEach(async () => {
    for (const x of [a, b, c]) await x.close();
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

  it('credits a receipt of a grid it honours once, as an entry of its own log, and refuses it the second time', async () => {
    const onA = await SimVolunteer.create(a.url);
    const receipts = await earnOn(a, onA, 3);
    expect(receipts).toHaveLength(3);
    const onB = onA.at(b.url);
    await onB.authenticate();
    expect(await onB.stats()).toMatchObject({ credit: 0, balance: 0 });

    const first = await onB.post<ImportResponse>(API.imports, { receipts });
    expect(first).toMatchObject({ status: 200, body: { accepted: 3, credit: 30 } });
    expect(await onB.stats()).toMatchObject({ credit: 30, balance: 30 });
    // B's own log says so, in entries that verify against B's key and name the receipts in A's log.
    const entries = (await onB.receipts()).receipts;
    expect(entries).toHaveLength(3);
    for (const [i, e] of entries.entries()) {
      const checked = await verifyReceipt(e, b.publicKey);
      expect(checked.ok).toBe(true);
      expect(e.receipt.body).toMatchObject({
        type: 'import',
        from: a.publicKey,
        fromIndex: receipts[i]!.receipt.body.index,
      });
    }
    expect(
      walletOf(
        entries.map((e) => e.receipt.body),
        onA.key,
      ),
    ).toMatchObject({ earned: 30, balance: 30 });

    // Again, or again among new ones: refused whole, naming it; nothing more credited.
    const again = await onB.post<ErrorReply>(API.imports, { receipts: [receipts[1]] });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'conflict', index: 0 });
    const more = await earnOn(a, onA, 1);
    const mixed = await onB.post<ErrorReply>(API.imports, { receipts: [more.at(-1), receipts[0]] });
    expect(mixed.status).toBe(409);
    expect(mixed.body.error.index).toBe(1);
    expect(await onB.stats()).toMatchObject({ credit: 30 });
    // The new one alone goes through: the refused request claimed nothing.
    expect(await onB.post(API.imports, { receipts: [more.at(-1)] })).toMatchObject({ status: 200 });
    expect(await onB.stats()).toMatchObject({ credit: 40 });
  });

  it('refuses a forged receipt, one of a log it does not honour, another key’s, and its own grid’s', async () => {
    const onA = await SimVolunteer.create(a.url);
    const [real] = await earnOn(a, onA, 1);
    const onB = onA.at(b.url);
    await onB.authenticate();
    const refused = async (receipt: unknown) => {
      const reply = await onB.post<ErrorReply>(API.imports, { receipts: [receipt] });
      return { status: reply.status, code: reply.body.error.code, message: reply.body.error.message };
    };

    // Forged: the amount raised after A signed it.
    const inflated = {
      ...real!,
      receipt: { ...real!.receipt, body: { ...(real!.receipt.body as CreditBody), credit: 1e6 } },
    };
    expect(await refused(inflated)).toMatchObject({ status: 400, message: /signature does not verify/ });
    // Signed by a key that is not A's, naming A's log.
    const impostor = await generateSigningKeyPair();
    const resigned = { ...real!, receipt: await signReceiptBody(impostor.privateKey, real!.receipt.body) };
    expect(await refused(resigned)).toMatchObject({ status: 400, message: /signature does not verify/ });
    // A real receipt of grid C, which B does not honour.
    const onC = onA.at(c.url);
    await onC.authenticate();
    const [fromC] = await earnOn(c, onC, 1);
    expect(await refused(fromC)).toMatchObject({ status: 403, message: /does not honour/ });
    // A's receipt presented by another key.
    const thief = await SimVolunteer.create(b.url);
    const stolen = await thief.post<ErrorReply>(API.imports, { receipts: [real] });
    expect(stolen).toMatchObject({ status: 403, body: { error: { message: /another volunteer/ } } });
    // B's own receipts are counted on B already.
    const local = await earnOn(b, onB, 1);
    expect(await refused(local[0])).toMatchObject({ status: 400, message: /this grid's own/ });
    // Not a receipt at all.
    expect(await refused({ hello: 'world' })).toMatchObject({ status: 403 });
    expect(await onB.stats()).toMatchObject({ credit: 10 });
  });

  it('refuses credit a key earned on a job it paid for: not spendable where it was earned, nor here', async () => {
    const onA = await SimVolunteer.create(a.url);
    await earnOn(a, onA, 2);
    // onA pays a job with its credit on A and computes it too, with another volunteer (quorum 2).
    const opened = await onA.post<{ token: string }>(API.myFundedProject, { name: 'mine' });
    expect(opened.status).toBe(200);
    const mine = new Researcher(a.url, opened.body.token);
    const job = await mine.createSquareJob();
    await mine.addSquares(job, 100, 1);
    const other = await SimVolunteer.create(a.url);
    for (const v of [onA, other]) await v.computeAndSubmit((await v.lease(1)).leases, square);
    expect(await onA.stats()).toMatchObject({ unspendable: 10 });
    const credits = (await onA.receipts()).receipts.filter((r) => r.receipt.body.type === 'credit');
    const own = credits.findIndex((r) => (r.receipt.body as CreditBody).funder === onA.key);
    expect(credits).toHaveLength(3);
    expect(own).toBeGreaterThanOrEqual(0);

    const onB = onA.at(b.url);
    await onB.authenticate();
    const refused = await onB.post<ErrorReply>(API.imports, { receipts: credits });
    expect(refused).toMatchObject({
      status: 400,
      body: { error: { code: 'bad_request', index: own, message: /a job this key paid for/ } },
    });
    expect(await onB.stats()).toMatchObject({ credit: 0 });
    // The others, earned on jobs others paid for, are honoured.
    const spendable = credits.filter((_, i) => i !== own);
    expect(await onB.post(API.imports, { receipts: spendable })).toMatchObject({ status: 200, body: { accepted: 2 } });
    expect(await onB.stats()).toMatchObject({ credit: 20, balance: 20 });
  });
});
