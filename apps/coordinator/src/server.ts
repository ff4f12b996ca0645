// Starts a coordinator: opens the store, loads the key, serves HTTP, sweeps expired leases.
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import type { Project, ProjectId } from '@bricolage/protocol';
import { type Clock, type Random, systemClock } from './clock';
import { type CoordinatorConfig, DEFAULT_CONFIG } from './config';
import { createApp } from './http/app';
import type { Deps } from './http/env';
import { FileBlobStore } from './blobs/files/file-blob-store';
import { Challenges } from './http/challenges';
import { parseTrustedProxies } from './http/client-address';
import { guardConnections, serverOptions } from './http/connections';
import { ProgressFeeds, readProgress } from './http/progress-feed';
import { RateLimiter } from './http/rate-limit';
import { Slots } from './http/slots';
import { VolunteerTokens, newProjectToken } from './http/tokens';
import { loadOrCreateKey } from './log/keys';
import { ReceiptLog } from './log/receipt-log';
import { createLogger, type Logger, messageLogger } from './logger';
import { SqliteStore } from './store/sqlite/sqlite-store';
import type { Store } from './store/store';

export const VERSION = '0.1.0';

export interface CoordinatorOptions {
  readonly dataDir: string;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly host?: string;
  /** A directory served at `/` (the volunteer page). */
  readonly webRoot?: string;
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
  createProject(name: string, description?: string, owner?: string): Promise<{ project: ProjectId; token: string }>;
  /** Runs the lease sweeper now (tests drive it with a manual clock). */
  sweep(): Promise<number>;
  close(): Promise<void>;
}

export async function openStore(dataDir: string, config: CoordinatorConfig, random: Random): Promise<SqliteStore> {
  return new SqliteStore({
    path: join(dataDir, 'bricolage.sqlite'),
    random,
    maxLeasesPerVolunteer: config.maxLeasesPerVolunteer,
    inlineInputBytes: config.inlineInputBytes,
  });
}

export async function createProject(
  store: Store,
  clock: Clock,
  name: string,
  description = '',
  owner = '',
): Promise<{ project: ProjectId; token: string }> {
  const { token, hash } = newProjectToken();
  const project: Project = {
    id: `prj_${randomBytes(10).toString('hex').slice(0, 16)}` as ProjectId,
    name,
    description,
    owner,
    createdAt: clock.now(),
  };
  await store.createProject(project, hash);
  return { project: project.id, token };
}

export async function startCoordinator(options: CoordinatorOptions): Promise<Coordinator> {
  const config = { ...DEFAULT_CONFIG, ...options.config };
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? (options.log ? messageLogger(options.log) : createLogger());
  const logError = (message: string) => logger.error({}, message);
  const proxies = parseTrustedProxies(config.trustProxy);
  if (!proxies.ok) throw new Error(proxies.error.message);
  const store = await openStore(options.dataDir, config, options.random ?? Math.random);
  const key = await loadOrCreateKey(store);
  store.setLogKey(key.publicKey);
  const tokenKey = await store.putMetaIfAbsent('token_key', randomBytes(32));
  const deps: Deps = {
    store,
    blobs: new FileBlobStore(join(options.dataDir, 'blobs')),
    log: new ReceiptLog(store, key, clock),
    key,
    clock,
    config,
    tokens: new VolunteerTokens(tokenKey),
    challenges: new Challenges(tokenKey),
    proxies: proxies.value,
    perAddress: new RateLimiter(config.perAddress, clock),
    logReads: new RateLimiter(config.logReads, clock),
    perVolunteer: new RateLimiter(config.perVolunteer, clock),
    perProject: new RateLimiter(config.perProject, clock),
    newIdentities: new RateLimiter(config.newIdentities, clock),
    progress: new ProgressFeeds(
      async (id) => {
        const job = await store.getJob(id);
        if (!job) throw new Error(`job ${id} vanished while streaming its progress`);
        return readProgress(store, clock, job);
      },
      config.progressEveryMs,
      (e) => logError(`progress feed failed: ${e.stack ?? e.message}`),
    ),
    largeResponses: new Slots(config.maxLargeResponses),
    version: VERSION,
    logger,
    logError,
  };
  // Leases that ran out while we were down go back into the queue before anyone asks for work.
  await store.expireLeases(clock.now());
  const app = createApp(deps, options.webRoot);
  const host = options.host ?? '127.0.0.1';
  const server: ServerType = await new Promise((resolve) => {
    const s = serve(
      { fetch: app.fetch, port: options.port ?? 0, hostname: host, serverOptions: serverOptions(config) },
      () => resolve(s),
    );
  });
  guardConnections(server as Server, config, proxies.value, logger);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  let sweeping = false;
  const sweep = async () => {
    if (sweeping) return 0;
    sweeping = true;
    try {
      return await store.expireLeases(clock.now());
    } finally {
      sweeping = false;
    }
  };
  const timer = setInterval(() => {
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
    createProject: (name, description, owner) => createProject(store, clock, name, description, owner),
    sweep,
    close: async () => {
      clearInterval(timer);
      deps.progress.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // SSE streams and keep-alive sockets would hold close() open forever.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await store.close();
    },
  };
}
