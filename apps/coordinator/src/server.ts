// Starts a coordinator: opens the store, loads the key, serves HTTP, sweeps expired leases.
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import type { ProjectId } from '@bricolage/protocol';
import { type Clock, type Random, systemClock } from './clock';
import { type CoordinatorConfig, DEFAULT_CONFIG } from './config';
import { createApp, type RequestRecord } from './http/app';
import type { Deps } from './http/env';
import { RateLimiter } from './http/rate-limit';
import { VolunteerTokens } from './http/tokens';
import { loadOrCreateKey } from './log/keys';
import { newProject } from './new-project';
import { ReceiptLog } from './log/receipt-log';
import { ensureOperatorToken, isOperatorToken, operatorTokenPath } from './operator-token';
import { PeerKeys } from './peers/peer-keys';
import { attachSignaling, NO_SIGNALING, type Signaling } from './signal/signal-server';
import { SqliteStore } from './store/sqlite/sqlite-store';
import { RecentVolunteers } from './volunteers/recent';
import type { Store } from './store/store';

export const VERSION = '0.1.0';

export interface CoordinatorOptions {
  readonly dataDir: string;
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
  const { project, token } = await newProject(store, clock, { name, description, owner });
  return { project: project.id, token };
}

export async function startCoordinator(options: CoordinatorOptions): Promise<Coordinator> {
  const config = { ...DEFAULT_CONFIG, ...options.config };
  const clock = options.clock ?? systemClock;
  const logError = options.log ?? ((m: string) => console.error(m));
  const store = await openStore(options.dataDir, config, options.random ?? Math.random);
  const operator = { ...ensureOperatorToken(options.dataDir), path: operatorTokenPath(options.dataDir) };
  const key = await loadOrCreateKey(store);
  store.setLogKey(key.publicKey);
  const tokenKey = await store.putMetaIfAbsent('token_key', randomBytes(32));
  const deps: Deps = {
    store,
    log: new ReceiptLog(store, key, clock),
    key,
    clock,
    config,
    tokens: new VolunteerTokens(tokenKey),
    peers: new PeerKeys(tokenKey),
    perAddress: new RateLimiter(config.perAddress, clock),
    perVolunteer: new RateLimiter(config.perVolunteer, clock),
    recent: new RecentVolunteers(),
    isOperator: (token) => isOperatorToken(options.dataDir, token),
    version: VERSION,
    logError,
  };
  // Leases that ran out while we were down go back into the queue before anyone asks for work.
  await store.expireLeases(clock.now());
  const app = createApp(deps, {
    ...(options.webRoot ? { webRoot: options.webRoot } : {}),
    ...(options.widgetScript ? { widgetScript: options.widgetScript } : {}),
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
  });
  const host = options.host ?? '127.0.0.1';
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: options.port ?? 0, hostname: host }, () => resolve(s));
  });
  // The one place the signaling WebSocket meets the HTTP server: it takes the `upgrade` requests for /signal.
  const signaling = config.peers
    ? attachSignaling(server as Server, {
        limits: config.signal,
        tickets: deps.peers.tickets,
        projectExists: async (project) => (await store.getProject(project as ProjectId)) !== null,
        clock,
        log: logError,
      })
    : NO_SIGNALING;
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
    signaling,
    operator,
    createProject: (name, description, owner) => createProject(store, clock, name, description, owner),
    sweep,
    close: async () => {
      clearInterval(timer);
      await signaling.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // SSE streams and keep-alive sockets would hold close() open forever.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await store.close();
    },
  };
}
