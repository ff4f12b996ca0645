// The volunteer's HTTP client for the coordinator: Ed25519 challenge/token authentication with renewal
// before expiry, and the lease, blob, heartbeat, submit and receipt routes, each parsed with the
// protocol's schemas. Failures are values carrying the HTTP status and whether a retry may help.
import {
  API,
  ChallengeResponse,
  type ExportRequest,
  ExportSettled,
  ExportResponse,
  HeartbeatResponse,
  ImportResponse,
  LEASE_FRAME_ACCEPT,
  type LeaseAnswer,
  type LeaseRequest,
  MAX_RELEASED_REQUESTS,
  type ListedProject,
  type Parsed,
  ProjectList,
  ReceiptsPage,
  type Schema,
  type SubmitRequest,
  type SubmittedResult,
  SubmitResponse,
  TokenResponse,
  VolunteerStats,
  CreatedProject,
  authMessageBody,
  domainMessage,
  sha256Hex,
  sign,
} from '@bricolage/protocol';
import type { OrtWasmFiles, PeerRoom } from '@bricolage/protocol/peer';
import {
  type ClientResult,
  cut,
  fail,
  failureOf,
  leaseAnswer,
  ok,
  type Reader,
  readJson,
  refusal,
  unsent,
} from './answers';
import { Watchdog } from './watchdog';

export type { ClientFailure, ClientResult } from './answers';
export { failureOf } from './answers';

export type HeartbeatReply = Parsed<typeof HeartbeatResponse>;

/** The volunteer's key pair. `generateSigningKeyPair()` makes one; a persistent store can supply its own. */
export interface VolunteerIdentity {
  /** Raw Ed25519 public key, base64url: the volunteer's id. */
  readonly publicKeyText: string;
  readonly privateKey: CryptoKey;
}

export interface ClientOptions {
  /** Base URL of the coordinator, e.g. `https://grid.example` or `location.origin`. */
  readonly coordinator: string;
  readonly identity: VolunteerIdentity;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  /**
   * How long a request may wait with nothing coming before it counts as a transient `network` failure that says
   * so (`timedOut`): a coordinator that takes the connection and never answers, or stops mid-answer, would
   * otherwise hold the caller forever. Only waiting is bounded, never a transfer that is moving: the wait for an
   * answer to begin is this plus the time the request's body takes at `SLOWEST_UPLINK_BYTES_PER_S`, and an answer's
   * body may take as long as it likes while its bytes keep coming, each within this of the last. 30 s by default,
   * far past the coordinator's answers under load (seconds at p99, BENCHMARKS.md).
   */
  readonly requestTimeoutMs?: number;
}

export const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The slowest uplink a request's body is given time for (16 KiB/s, 128 kbit/s: a poor mobile link): fetch() cannot
 * tell how much of a body has gone, so a 4 MB submit is waited on for 30 s + 256 s before it counts as unanswered.
 * A submit that still times out is sent again in smaller batches (Submitter).
 */
export const SLOWEST_UPLINK_BYTES_PER_S = 16 * 1024;

/** Renew when less than a quarter of the token's life, or a minute, is left. */
export const renewAt = (issuedAt: number, expiresAt: number): number =>
  expiresAt - Math.min(60_000, Math.max(0, (expiresAt - issuedAt) / 4));

export class CoordinatorClient {
  readonly #base: string;
  readonly #identity: VolunteerIdentity;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #timeoutMs: number;
  #token: { value: string; renewAt: number } | null = null;
  #authenticating: Promise<ClientResult<string>> | null = null;

  constructor(options: ClientOptions) {
    this.#base = options.coordinator.replace(/\/+$/, '');
    this.#identity = options.identity;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#now = options.now ?? Date.now;
    this.#timeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  }

  get volunteer(): string {
    return this.#identity.publicKeyText;
  }

  /** A valid bearer token, authenticating (once, even when asked concurrently) when there is none. */
  token(force = false): Promise<ClientResult<string>> {
    if (!force && this.#token && this.#now() < this.#token.renewAt) return Promise.resolve(ok(this.#token.value));
    this.#authenticating ??= this.#authenticate().finally(() => {
      this.#authenticating = null;
    });
    return this.#authenticating;
  }

  async #authenticate(): Promise<ClientResult<string>> {
    const volunteer = this.#identity.publicKeyText;
    const challenge = await this.#send(API.challenge, ChallengeResponse, { method: 'POST', json: { volunteer } });
    if (!challenge.ok) return challenge;
    const message = domainMessage('auth', authMessageBody(challenge.value.challenge, volunteer));
    const signature = await sign(this.#identity.privateKey, message);
    const issuedAt = this.#now();
    const token = await this.#send(API.token, TokenResponse, {
      method: 'POST',
      json: { volunteer, challenge: challenge.value.challenge, signature },
    });
    if (!token.ok) return token;
    this.#token = { value: token.value.token, renewAt: renewAt(issuedAt, token.value.expiresAt) };
    return ok(token.value.token);
  }

  /**
   * Leases work units, their small inputs as bytes after the answer's JSON (lease-frame.ts) rather than as
   * base64 inside it; a coordinator that answers JSON anyway is read as JSON.
   */
  lease(request: LeaseRequest): Promise<ClientResult<LeaseAnswer>> {
    return this.#authed(API.lease, leaseAnswer, { method: 'POST', json: request, accept: LEASE_FRAME_ACCEPT });
  }

  heartbeat(leases: readonly string[], jobs?: readonly string[]): Promise<ClientResult<HeartbeatReply>> {
    return this.#authed(API.heartbeat, HeartbeatResponse, {
      method: 'POST',
      json: { leases, ...(jobs ? { jobs } : {}) },
    });
  }

  /**
   * Sends results as the page goes: as many of them, oldest first, as fit in half the budget (the leases given back
   * after them need the rest); returns how many went. See `#sendOnLeave`.
   */
  submitOnLeave(results: readonly SubmittedResult[], budget: LeaveBudget): number {
    let n = results.length;
    let body = JSON.stringify({ results });
    while (n > 0 && body.length > budget.bytes / 2) {
      n = Math.floor(n / 2);
      body = JSON.stringify({ results: results.slice(0, n) });
    }
    return n > 0 && this.#sendOnLeave(API.submit, body, budget) ? n : 0;
  }

  /**
   * Gives leases back as the page goes, 1000 a request, while the budget lasts, and with the first, those granted
   * under the lease `requests` still out (ReleaseRequest.requests). See `#sendOnLeave`.
   */
  releaseOnLeave(leases: readonly string[], budget: LeaveBudget, requests: readonly string[] = []): void {
    const named = requests.slice(0, MAX_RELEASED_REQUESTS);
    for (let i = 0; i === 0 || i < leases.length; i += 1000) {
      const body = { leases: leases.slice(i, i + 1000), ...(i === 0 && named.length > 0 ? { requests: named } : {}) };
      if (body.leases.length === 0 && !body.requests) return;
      if (!this.#sendOnLeave(API.release, JSON.stringify(body), budget)) return;
    }
  }

  /**
   * One request the browser still sends once the page is gone (keepalive: the bodies of a page's such requests
   * at most 64 KiB together), with the token already held (a page that never got one has nothing to send).
   * Nothing is awaited: the page is going.
   */
  #sendOnLeave(path: string, body: string, budget: LeaveBudget): boolean {
    const token = this.#token;
    if (!token || body.length > budget.bytes) return false;
    budget.bytes -= body.length;
    void this.#fetch(this.#base + path, {
      method: 'POST',
      keepalive: true,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token.value}` },
      body,
    }).catch(() => undefined);
    return true;
  }

  /**
   * `uplinkBytesPerS`: the slowest uplink the body is given time for, when not `SLOWEST_UPLINK_BYTES_PER_S`; `signal`:
   * the caller's giving up (a network failure then, which the same results may be sent again after: repeats are).
   */
  submit(
    results: SubmitRequest['results'],
    uplinkBytesPerS?: number,
    signal?: AbortSignal,
  ): Promise<ClientResult<SubmitResponse>> {
    return this.#authed(API.submit, SubmitResponse, {
      method: 'POST',
      json: { results },
      ...(uplinkBytesPerS ? { uplinkBytesPerS } : {}),
      ...(signal ? { signal } : {}),
    });
  }

  receipts(after = -1, limit = 100): Promise<ClientResult<ReceiptsPage>> {
    return this.#authed(`${API.receipts}?after=${after}&limit=${limit}`, ReceiptsPage, { method: 'GET' });
  }

  me(): Promise<ClientResult<VolunteerStats>> {
    return this.#authed(API.me, VolunteerStats, { method: 'GET' });
  }

  /** This key's personal project, whose jobs its credit pays for, with a new project token. */
  openFundedProject(name: string): Promise<ClientResult<CreatedProject>> {
    return this.#authed(API.myFundedProject, CreatedProject, { method: 'POST', json: { name } });
  }

  /**
   * Moves `amount` of this key's credit to the grid whose key is `to` (one this grid honours): a debit here,
   * answered with the proven export receipt to present there (`importCredit`). Retrying with the same `requestId`
   * returns the first answer's receipt instead of moving the credit again.
   */
  exportCredit(request: ExportRequest): Promise<ClientResult<ExportResponse>> {
    return this.#authed(API.exports, ExportResponse, { method: 'POST', json: request });
  }

  /** Settles this key's export request `requestId` (its answer lost) for good: the export it made, or closed. */
  settleExport(requestId: string): Promise<ClientResult<ExportSettled>> {
    return this.#authed(API.settleExport(encodeURIComponent(requestId)), ExportSettled, { method: 'POST' });
  }

  /** Other grids' proven exports addressed to this grid, credited here once each. */
  importCredit(receipts: readonly unknown[]): Promise<ClientResult<ImportResponse>> {
    return this.#authed(API.imports, ImportResponse, { method: 'POST', json: { receipts } });
  }

  /** The public project list: each project's published signing key and open jobs. */
  async projects(): Promise<ClientResult<ListedProject[]>> {
    const list = await this.#send(API.projects, ProjectList, { method: 'GET' });
    return list.ok ? ok(list.value.projects) : list;
  }

  /** A project's peer room: its secret and a signaling ticket for this volunteer. */
  async peerRoom(project: string): Promise<ClientResult<PeerRoom>> {
    // The peer protocol's schemas are loaded when a room is asked for, not with every page that leases work.
    const { PeerRoom } = await import('@bricolage/protocol/peer');
    return this.#authed(`${API.peerRoom}?project=${encodeURIComponent(project)}`, PeerRoom, { method: 'GET' });
  }

  /** onnxruntime's .wasm files this coordinator publishes as blobs (asked when an ONNX job first loads it). */
  async ortWasm(): Promise<ClientResult<OrtWasmFiles>> {
    const { OrtWasmFiles } = await import('@bricolage/protocol/peer');
    return this.#send(API.ortWasm, OrtWasmFiles, { method: 'GET' });
  }

  /** A content-addressed blob, checked against its hash before it is returned. */
  async blob(hash: string): Promise<ClientResult<Uint8Array>> {
    const watchdog = new Watchdog(this.#timeoutMs, 0);
    let bytes: Uint8Array;
    try {
      const response = watchdog.watch(await this.#fetch(this.#base + API.blob(hash), { signal: watchdog.signal }));
      if (!response.ok) return refusal(watchdog, await failureOf(response));
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      return cut(watchdog, error);
    } finally {
      watchdog.clear();
    }
    if ((await sha256Hex(bytes)) !== hash)
      return fail({ code: 'hash_mismatch', message: `blob ${hash} does not hash to its name`, status: 200 });
    return ok(bytes);
  }

  async #authed<T>(path: string, read: Schema<T> | Reader<T>, init: Init): Promise<ClientResult<T>> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.token(attempt > 0);
      if (!token.ok) return unsent(token.error);
      const result = await this.#send(path, read, init, token.value);
      // A token can expire (or the coordinator restart with a new key) between check and use: renew once.
      if (
        !result.ok &&
        attempt === 0 &&
        (result.error.code === 'token_expired' || result.error.code === 'unauthorized')
      )
        continue;
      return result;
    }
  }

  async #send<T>(path: string, read: Schema<T> | Reader<T>, init: Init, token?: string): Promise<ClientResult<T>> {
    const headers: Record<string, string> = {};
    if (init.json !== undefined) headers['content-type'] = 'application/json';
    if (init.accept) headers.accept = init.accept;
    if (token) headers.authorization = `Bearer ${token}`;
    const body = init.json !== undefined ? JSON.stringify(init.json) : undefined;
    const uplink = init.uplinkBytesPerS ?? SLOWEST_UPLINK_BYTES_PER_S;
    const watchdog = new Watchdog(this.#timeoutMs, ((body?.length ?? 0) / uplink) * 1000);
    watchdog.follow(init.signal);
    try {
      let response: Response;
      try {
        response = watchdog.watch(
          await this.#fetch(this.#base + path, {
            method: init.method,
            headers,
            signal: watchdog.signal,
            ...(body !== undefined ? { body: bodyOf(body) } : {}),
          }),
        );
      } catch (error) {
        return cut(watchdog, error);
      }
      if (!response.ok) return refusal(watchdog, await failureOf(response));
      const answer = await (typeof read === 'function' ? read(response, path) : readJson(response, path, read));
      // A body cut off by the watchdog reads as unreadable: say what cut it.
      return !answer.ok && watchdog.why ? cut(watchdog, null) : answer;
    } finally {
      watchdog.clear();
    }
  }
}

/** A request to send: its method, JSON body, what it accepts, and how slow an uplink its body is given time for. */
interface Init {
  readonly method: string;
  readonly json?: unknown;
  readonly accept?: string;
  readonly uplinkBytesPerS?: number;
  /** The caller's giving up on the request. */
  readonly signal?: AbortSignal;
}

/** Bytes of keepalive bodies a page going may still send: what the browser allows, less a margin for headers. */
export interface LeaveBudget {
  bytes: number;
}
export const leaveBudget = (): LeaveBudget => ({ bytes: 60 * 1024 });

/**
 * A request's JSON, large ones as a Blob: Chromium's fetch() held the page's main thread for 70-100 ms over a
 * 4 MB string body (a submit of large results), and for 2-6 ms over the same bytes in a Blob, which took
 * 30-60 ms to make; the worker waits on the main thread for its next units meanwhile.
 */
const BLOB_FROM_CHARS = 64 * 1024;
function bodyOf(text: string): string | Blob {
  return text.length < BLOB_FROM_CHARS ? text : new Blob([text], { type: 'application/json' });
}
