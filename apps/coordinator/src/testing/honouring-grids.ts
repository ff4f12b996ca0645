// Three grids that honour each other's logs, for the tests of portable credit (issue 19): A and C on SQLite, B on
// the suite's backend, each on its own port, directory and key. B honours A; A honours B and C; C honours B (a grid
// moves credit only to grids it honours). Made before each test and closed after it, with the helpers those tests
// share: earning credit on a grid, moving it, settling a move, and B's second door on Postgres.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API, type ExportResponse, type ExportSettled, type ProvenReceipt } from '@bricolage/protocol';
import { afterEach, beforeEach } from 'vitest';
import { ManualClock, seededRandom } from '../clock';
import { type Coordinator, startCoordinator } from '../server';
import type { Backend, TestDatabase } from './backends';
import { Researcher, square } from './fixtures';
import { SimVolunteer } from './sim-volunteer';

export interface ErrorReply {
  error: { code: string; message: string; index?: number };
}

export interface HonouringGrids {
  readonly a: Coordinator;
  /** The grid on the suite's backend. */
  readonly b: Coordinator;
  readonly c: Coordinator;
  /** A's operator changes the logs it honours: A restarted on its directory, its key and log kept. */
  restartA(honoured: readonly string[]): Promise<Coordinator>;
  /** Two volunteers compute `n` units on `grid` (quorum 2, 10 credits each); the first one's receipts. */
  earnOn(grid: Coordinator, me: SimVolunteer, n: number): Promise<ProvenReceipt[]>;
  /** `me` moves `amount` of its credit on its grid to the grid whose key is `to`. */
  move(
    me: SimVolunteer,
    to: string,
    amount: number,
    requestId?: string,
  ): Promise<{ status: number; body: ExportResponse & ErrorReply }>;
  /** `me` settles its export request `requestId` on its grid: the export made under it, or closed. */
  settle(me: SimVolunteer, requestId: string): Promise<{ status: number; body: ExportSettled & ErrorReply }>;
  /** A key with 30 credit on B, which it may move to A (B honours A). */
  earnedOnB(): Promise<SimVolunteer>;
  /**
   * `onB` and, on Postgres, the same key signed in at a second coordinator sharing B's database: racing requests
   * through both contend across processes (one process runs its transactions one at a time).
   */
  doorsOfB(onB: SimVolunteer): Promise<SimVolunteer[]>;
  /** The `export_requests` rows of B's database, as (request id, log index). */
  recorded(): Promise<(string | number)[][]>;
}

export function useHonouringGrids(backend: Backend): HonouringGrids {
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
    // A and C first, to make their keys; B honours A; then A and C, restarted on their directories with the same
    // keys, honour theirs.
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

  const grids: HonouringGrids = {
    get a() {
      return a;
    },
    get b() {
      return b;
    },
    get c() {
      return c;
    },
    async restartA(honoured) {
      await a.close();
      a = await sqliteGrid(aDir, 1, honoured);
      return a;
    },
    async earnOn(grid, me, n) {
      const researcher = new Researcher(grid.url, (await grid.createProject('earn')).token);
      const job = await researcher.createSquareJob();
      await researcher.addSquares(job, 1, n);
      const other = await SimVolunteer.create(grid.url);
      for (const v of [me, other]) await v.computeAndSubmit((await v.lease(n)).leases, square);
      return (await me.receipts()).receipts;
    },
    move: (me, to, amount, requestId) => me.post<ExportResponse & ErrorReply>(API.exports, { to, amount, requestId }),
    settle: (me, requestId) =>
      me.post<ExportSettled & ErrorReply>(API.settleExport(encodeURIComponent(requestId)), undefined),
    async earnedOnB() {
      const onB = await SimVolunteer.create(b.url);
      await grids.earnOn(b, onB, 3);
      return onB;
    },
    async doorsOfB(onB) {
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
    },
    recorded: async () =>
      (await db!.query<{ request_id: string; idx: number }>('SELECT request_id, idx FROM export_requests'))
        .map((r) => [r.request_id, Number(r.idx)])
        .sort(),
  };
  return grids;
}
