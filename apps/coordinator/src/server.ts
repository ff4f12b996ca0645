// Starts a coordinator: opens the store, loads the key, serves HTTP, sweeps expired leases.
import { createServer, type Server } from 'node:http';
import { getRequestListener, type ServerType } from '@hono/node-server';
import type { ProjectId, VolunteerKey } from '@bricolage/protocol';
import { type Clock, type Random, systemClock } from './clock';
import { type CoordinatorConfig, DEFAULT_CONFIG } from './config';
import { layoutOf, privateDatabase, privateDirectory } from './data-dir/layout';
import { lockDataDir } from './data-dir/lock';
import { loadSecret } from './data-dir/secrets';
import { asUnusable, DataDirectoryUnusable } from './data-dir/unusable';
import { createApp, type RequestRecord } from './http/app';
import type { Deps } from './http/env';
import { FileBlobStore } from './blobs/files/file-blob-store';
import { ortWasmFiles, WithPublishedFiles } from './blobs/published/published-files';
import { Challenges } from './http/challenges';
import { bucketOf, clientAddress, listCheck, parseAddressList, parseTrustedProxies } from './http/client-address';
import { guardConnections, serverOptions } from './http/connections';
import { clientErrorAnswer, requestErrorResponse } from './http/malformed';
import { bannedMessage } from './http/middleware';
import { progressOf } from './http/progress';
import { ProgressFeeds } from './http/progress-feed';
import { RateLimiter } from './http/rate-limit';
import { Slots } from './http/slots';
import { VolunteerTokens } from './http/tokens';
import { type CoordinatorKey, loadOrCreateKey } from './log/keys';
import { ReceiptLog } from './log/receipt-log';
import { createLogger, type Logger, messageLogger } from './logger';
import { newProject } from './new-project';
import { ensureOperatorToken, isOperatorToken, operatorTokenPath } from './operator-token';
import { PeerKeys } from './peers/peer-keys';
import { announceBan, closeBannedSignaling } from './signal/ban-news';
import { attachSignaling } from './signal/signal-server';
import { NO_SIGNALING, type Signaling } from './signal/signaling';
import { DEFAULT_SEPARATION } from './rules/assignment';
import type { StepLimits } from './steps/context';
import { CoordinatorStore } from './store/coordinator-store';
import { asUnavailable, openPostgres } from './store/postgres/pg-persistence';
import { SqlitePersistence } from './store/sqlite/sqlite-persistence';
import { RecentVolunteers } from './volunteers/recent';
import type { Persistence } from './store/persistence';
import type { Store } from './store/store';

export const VERSION = '0.1.0';
/** How long close() lets requests under way finish before it cuts their connections. */
const DRAIN_MS = 3000;

export interface CoordinatorOptions {
  /**
   * Keys, blobs and the operator token, and the SQLite database unless `databaseUrl` names a Postgres one.
   * Coordinators sharing one Postgres share this directory too (their signing key and blobs are here).
   */
  readonly dataDir: string;
  /** postgres://…: the Postgres backend, which several coordinators may share (DATABASE_URL in main.ts). */
  readonly databaseUrl?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly host?: string;
  /** A directory served at `/` (the volunteer page, and the widget's frame). */
  readonly webRoot?: string;
  /** The built widget.js, served at /widget.js (packages/widget/dist/widget.js). */
  readonly widgetScript?: string;
  /** Called with each request as it arrives, before anything else sees it (tests watch the traffic with it). */
  readonly onRequest?: (request: RequestRecord) => void;
  readonly clock?: Clock;
  readonly random?: Random;
  readonly config?: Partial<CoordinatorConfig>;
  /** Where structured logs go; a pino logger on stdout at `info` by default. */
  readonly logger?: Logger;
  /** Instead of `logger`: only warnings and errors, as text (tests, embedders that print elsewhere). */
  readonly log?: (message: string) => void;
}

export interface Coordinator {
  readonly url: string;
  readonly port: number;
  readonly publicKey: string;
  readonly store: Store;
  readonly deps: Deps;
  /** The signaling WebSocket at /signal (its counters are what tests and operators read). */
  readonly signaling: Signaling;
  /** The operator token, and whether this start made it (then it is printed, once). */
  readonly operator: { readonly token: string; readonly created: boolean; readonly path: string };
  createProject(name: string, description?: string, owner?: string): Promise<{ project: ProjectId; token: string }>;
  /** Runs the lease sweeper now (tests drive it with a manual clock). */
  sweep(): Promise<number>;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** The data directory's owner (holding its lock) drops the uploads a crashed run left staged in SQLite. */
  readonly owner?: boolean;
  /** postgres://…: that database instead of the data directory's SQLite file. */
  readonly databaseUrl?: string;
  readonly onError?: (e: Error) => void;
}

/**
 * Opens the store of `dataDir` (or of `databaseUrl`) for an operator command or a test, beside a running
 * coordinator if there is one: it never cleans up after a crash (only the coordinator holding the
 * directory's lock does). Creates the directory (0700) and the SQLite database (0600) when they are new.
 */
export async function openStore(
  dataDir: string,
  config: CoordinatorConfig,
  random: Random,
  options: OpenStoreOptions = {},
): Promise<CoordinatorStore> {
  const layout = layoutOf(dataDir);
  privateDirectory(dataDir);
  const onError = options.onError ?? ((e: Error) => console.error(`store: ${e.stack ?? e.message}`));
  let persistence: Persistence;
  if (options.databaseUrl) persistence = await openPostgres({ url: options.databaseUrl, onError });
  else {
    persistence = new SqlitePersistence({ path: layout.database, ...(options.owner ? { owner: true } : {}), onError });
    privateDatabase(layout.database);
  }
  return new CoordinatorStore(persistence, {
    random,
    ...stepLimits(config),
    // No request lives longer than requestTimeoutMs: a staged upload older than that (and a minute) is a crash's.
    staleUploadMs: config.requestTimeoutMs + 60_000,
  });
}

/** The limits the coordinator's steps run under, from its config; throws on a SEPARATION_EXEMPT it cannot read. */
export function stepLimits(config: CoordinatorConfig): StepLimits {
  const exempt = parseAddressList(config.separationExempt, 'SEPARATION_EXEMPT');
  if (!exempt.ok) throw new Error(exempt.error.message);
  return {
    maxLeasesPerVolunteer: config.maxLeasesPerVolunteer,
    leaseRoom: config.leaseRoom,
    separation: DEFAULT_SEPARATION,
    exempt: listCheck(exempt.value),
    inlineInputBytes: config.inlineInputBytes,
    inlineLeaseBytes: config.inlineLeaseBytes,
    credit: config.credit,
  };
}

export async function createProject(
  store: Store,
  clock: Clock,
  name: string,
  description = '',
  owner = '',
): Promise<{ project: ProjectId; token: string }> {
  const { project, token } = await newProject(store, clock, { name, description, owner });
  return { project: project.id, token };
}

export async function startCoordinator(options: CoordinatorOptions): Promise<Coordinator> {
  const config = { ...DEFAULT_CONFIG, ...options.config };
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? (options.log ? messageLogger(options.log) : createLogger());
  const logError = (message: string) => logger.error({}, message);
  const proxies = parseTrustedProxies(config.trustProxy);
  if (!proxies.ok) throw new Error(proxies.error.message);
  const exempt = parseAddressList(config.separationExempt, 'SEPARATION_EXEMPT');
  if (!exempt.ok) throw new Error(exempt.error.message);
  const layout = layoutOf(options.dataDir);
  try {
    privateDirectory(options.dataDir);
  } catch (e) {
    throw asUnusable(e, layout.database);
  }
  // Hashed once here (≈ 40 MB, a fraction of a second), before anything is opened that would need closing.
  const ortWasm = options.webRoot ? await ortWasmFiles(options.webRoot) : [];
  // Before the store opens: as the directory's owner, it drops what a crashed run left staged. Coordinators
  // sharing one Postgres share the directory too: the database, not the directory, is theirs to coordinate.
  const lock = options.databaseUrl ? { release: () => undefined } : lockDataDir(layout.lock);
  let store: CoordinatorStore | null = null;
  let key: CoordinatorKey;
  let tokenKey: Uint8Array;
  try {
    store = await openStore(options.dataDir, config, options.random ?? Math.random, {
      owner: true,
      ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
      onError: (e) => logError(`store: ${e.stack ?? e.message}`),
    });
    key = await loadOrCreateKey(layout.keys, store);
    tokenKey = await loadSecret(layout.keys, 'token.key', store, 'token_key');
    // Coordinators on one database are one grid only with one DATA_DIR: a process that made keys of its own would
    // put receipts naming its key into the one log, where they verify under neither key.
    const held = await store.claimLogKey(key.publicKey);
    if (held !== null)
      throw new DataDirectoryUnusable(
        `the database's receipt log is signed with the key ${held}, and ${layout.keys} holds the key ` +
          `${key.publicKey}: every coordinator of a grid runs with the same DATA_DIR (its keys/)`,
      );
  } catch (e) {
    await store?.close();
    lock.release();
    // Postgres's own failures say which database and why; the data directory's files are the operator's to fix.
    throw options.databaseUrl
      ? asUnusable(asUnavailable(options.databaseUrl, e), layout.database)
      : asUnusable(e, layout.database);
  }
  // Once the store is open: a start that fails (a DATABASE_URL it cannot use) leaves no token that the first
  // start that works would then not print.
  let operator: { token: string; created: boolean; path: string };
  try {
    operator = { ...ensureOperatorToken(options.dataDir), path: operatorTokenPath(options.dataDir) };
  } catch (e) {
    await store.close();
    lock.release();
    throw asUnusable(e, layout.database);
  }
  const deps: Deps = {
    store,
    announceBan: (volunteer) => announceBan(store.persistence.broadcast, volunteer),
    blobs: new WithPublishedFiles(new FileBlobStore(layout.blobs), ortWasm),
    ortWasm,
    log: new ReceiptLog(store, key),
    key,
    clock,
    config,
    tokens: new VolunteerTokens(tokenKey),
    peers: new PeerKeys(tokenKey),
    challenges: new Challenges(tokenKey),
    proxies: proxies.value,
    perAddress: new RateLimiter(config.perAddress, clock),
    logReads: new RateLimiter(config.logReads, clock),
    perVolunteer: new RateLimiter(config.perVolunteer, clock),
    recent: new RecentVolunteers(),
    isOperator: (token) => isOperatorToken(options.dataDir, token),
    perProject: new RateLimiter(config.perProject, clock),
    newIdentities: new RateLimiter(config.newIdentities, clock),
    progress: new ProgressFeeds(
      async (id) => {
        const job = await store.getJob(id);
        if (!job) throw new Error(`job ${id} vanished while streaming its progress`);
        return progressOf(deps, job);
      },
      config.progressEveryMs,
      (e) => logError(`progress feed failed: ${e.stack ?? e.message}`),
      // Read when any coordinator of the grid announces a change to the job (and now and then anyway).
      {
        changes: (listener) => store.onJobChange(listener),
        quietReadTicks: Math.max(1, Math.round(config.progressQuietMs / config.progressEveryMs)),
      },
    ),
    largeResponses: new Slots(config.maxLargeResponses),
    version: VERSION,
    logger,
    logError,
  };
  // The time we were down is not the volunteers' to lose: leases live when we stopped get it back, and
  // only those that ran out while we were alive go back into the queue, before anyone asks for work.
  // Only when no other coordinator of the grid is sweeping: then the grid was down, not just this process.
  if (await store.lead()) {
    await store.resumeLeases(clock.now(), config.reconnectGraceMs);
    await store.expireLeases(clock.now());
  }
  const app = createApp(deps, {
    ...(options.webRoot ? { webRoot: options.webRoot } : {}),
    ...(options.widgetScript ? { widgetScript: options.widgetScript } : {}),
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
  });
  const host = options.host ?? '127.0.0.1';
  // The adapter's listener on Node's own server (what `serve` does), with the API's JSON error for a request that
  // never reaches a route: one the adapter cannot build (errorHandler), one Node's parser refuses (clientError).
  const listener = getRequestListener(app.fetch, {
    hostname: host,
    errorHandler: (error) => requestErrorResponse(error, logError),
  });
  const server: ServerType = await new Promise((resolve) => {
    const s = createServer(serverOptions(config), listener);
    s.on('clientError', clientErrorAnswer());
    s.listen(options.port ?? 0, host, () => resolve(s));
  });
  guardConnections(server as Server, config, proxies.value, logger);
  // The one place the signaling WebSocket meets the HTTP server: it takes the `upgrade` requests for /signal.
  const signaling = config.peers
    ? attachSignaling(server as Server, {
        limits: config.signal,
        tickets: deps.peers.tickets,
        banOf: async (volunteer) => {
          const ban = await store.banOf(volunteer as VolunteerKey);
          return ban ? bannedMessage(ban.reason) : null;
        },
        projectExists: async (project) => (await store.getProject(project as ProjectId)) !== null,
        clock,
        addressOf: (request) => {
          const forwarded = request.headers['x-forwarded-for'];
          const hops = Array.isArray(forwarded) ? forwarded.join(',') : forwarded;
          return bucketOf(clientAddress(request.socket.remoteAddress ?? '', hops, proxies.value));
        },
        // A client past a limit is its problem, not ours: a warning (throttled per reason by the server).
        log: (line) => logger.warn({ component: 'signal' }, line),
      })
    : NO_SIGNALING;
  // A ban made on any coordinator of the grid closes the key's open signaling connections here.
  const unlistenBans = closeBannedSignaling(store.persistence.broadcast, signaling);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  /** The sweep under way, which a close waits for before it closes the store. */
  let sweeping: Promise<number> | null = null;
  let closing = false;
  /**
   * One sweep at a time. A call while one is under way waits for it and then sweeps again: the running one may
   * have read the rows before its caller's last change (a test's explicit sweep found the timer's under way,
   * returned at once, and the job it expected paused was still active).
   */
  const sweep = async (): Promise<number> => {
    while (sweeping) await sweeping.catch(() => 0);
    if (closing) return 0;
    const run = store.sweep(clock.now()).then((n) => n ?? 0);
    sweeping = run;
    try {
      return await run;
    } finally {
      sweeping = null;
    }
  };
  // The timer's sweeps never queue behind one another: a slow sweep is simply followed by the next tick's.
  const timer = setInterval(() => {
    if (sweeping) return;
    sweep().catch((e: Error) => logError(`lease sweep failed: ${e.stack ?? e.message}`));
  }, config.sweepMs);
  timer.unref();
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    publicKey: key.publicKey,
    store,
    deps,
    signaling,
    operator,
    createProject: (name, description, owner) => createProject(store, clock, name, description, owner),
    sweep,
    close: async () => {
      closing = true;
      clearInterval(timer);
      unlistenBans();
      await signaling.close();
      await (sweeping as Promise<number> | null)?.catch(() => 0);
      deps.progress.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Requests under way finish first, so that their answers reach the volunteers: a lease granted whose
        // answer was cut off is a unit a lone volunteer can never take again (it held a replica). Idle
        // keep-alive sockets go now; whatever is still open after DRAIN_MS (a stuck client) is cut.
        (server as Server).closeIdleConnections();
        setTimeout(() => (server as Server).closeAllConnections(), DRAIN_MS).unref();
      });
      await store.markAlive(clock.now());
      await store.close();
      lock.release();
    },
  };
}
