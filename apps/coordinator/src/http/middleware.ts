// Who is asking, what they may spend, and how much they may send: client address, authentication, rate
// limits and body caps, applied per route. Each request is charged to the identity it proves: a volunteer
// key, a project, or else its client address.
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { bucketOf, clientAddress } from './client-address';
import { ApiError, errorResponse } from './errors';
import type { Deps, Env } from './env';
import type { RateLimiter } from './rate-limit';
import { projectTokenHash } from './tokens';
import type { VolunteerKey } from '@bricolage/protocol';

function bearer(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m ? (m[1] as string) : null;
}

function peerAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch (e) {
    // app.request() in tests has no socket; every such request shares one bucket.
    return `no-socket:${(e as Error).name}`;
  }
}

/** Sets `client` for everything after it: the peer, or whom a trusted proxy forwarded for. */
export const resolveClient =
  (deps: Deps): MiddlewareHandler<Env> =>
  async (c, next) => {
    c.set('client', clientAddress(peerAddress(c), c.req.header('x-forwarded-for'), deps.proxies));
    await next();
  };

function charge(limiter: RateLimiter, key: string, who: string, cost = 1): void {
  const decision = limiter.take(key, cost);
  if (!decision.ok) throw ApiError.rateLimited(`too many requests from this ${who}`, decision.retryAfter);
}

const chargeAddress = (deps: Deps, c: Context<Env>) => charge(deps.perAddress, bucketOf(c.get('client')), 'address');

export const perAddressLimit =
  (deps: Deps): MiddlewareHandler<Env> =>
  async (c, next) => {
    chargeAddress(deps, c);
    await next();
  };

/** Charges reads of the public log to the address's log budget, `cost` requests' worth. */
export const chargeLogReads = (deps: Deps, c: Context<Env>, cost = 1): void =>
  charge(deps.logReads, bucketOf(c.get('client')), 'address', cost);

export const logReadLimit =
  (deps: Deps): MiddlewareHandler<Env> =>
  async (c, next) => {
    chargeLogReads(deps, c);
    await next();
  };

export const projectAuth =
  (deps: Deps): MiddlewareHandler<Env> =>
  async (c, next) => {
    const token = bearer(c.req.header('authorization'));
    const project = token ? await deps.store.projectByTokenHash(projectTokenHash(token)) : null;
    if (!project) {
      // Guessing tokens is anonymous traffic: it spends the address's budget.
      chargeAddress(deps, c);
      throw new ApiError(
        'unauthorized',
        token ? 'unknown project token' : 'missing project token (Authorization: Bearer brk_...)',
      );
    }
    charge(deps.perProject, project.id, 'project');
    c.set('project', project);
    await next();
  };

export const operatorAuth =
  (deps: Deps): MiddlewareHandler<Env> =>
  async (c, next) => {
    const token = bearer(c.req.header('authorization'));
    if (!token)
      throw new ApiError(
        'unauthorized',
        'missing operator token (Authorization: Bearer bro_...; see DATA_DIR/operator-token)',
      );
    if (!deps.isOperator(token)) throw new ApiError('unauthorized', 'not the operator token of this coordinator');
    await next();
  };

export const volunteerAuth =
  (deps: Deps): MiddlewareHandler<Env> =>
  async (c, next) => {
    const token = bearer(c.req.header('authorization'));
    const checked = token ? deps.tokens.check(token, deps.clock.now()) : null;
    if (!checked?.ok) {
      chargeAddress(deps, c);
      if (!checked)
        throw new ApiError('unauthorized', 'missing volunteer token: sign a challenge at /v1/auth/token first');
      throw checked.expired
        ? new ApiError('token_expired', 'volunteer token expired: sign a new challenge')
        : new ApiError('unauthorized', 'invalid volunteer token');
    }
    charge(deps.perVolunteer, checked.volunteer, 'volunteer');
    // Checked on every request, not only at the token exchange: a ban takes effect on the next request.
    await refuseBanned(deps, checked.volunteer);
    c.set('volunteer', checked.volunteer);
    await next();
  };

/** Throws 403 `forbidden` when the operator banned this volunteer key. */
export async function refuseBanned(deps: Deps, volunteer: string): Promise<void> {
  const ban = await deps.store.banOf(volunteer as VolunteerKey);
  if (ban) throw new ApiError('forbidden', bannedMessage(ban.reason));
}

/** What a banned key is told with its 403, at the HTTP edge and at /signal's handshake alike. */
export const bannedMessage = (reason: string): string =>
  `this volunteer key is banned by the grid's operator: ${reason}`;

/**
 * Refuses a body whose declared Content-Length is over `maxSize`, without reading it, and leaves a body of
 * unknown length to the handler, which streams it and counts. (Hono's bodyLimit reads such a body into
 * memory whole to count it: right for JSON, which is parsed whole anyway, wrong for a 256 MiB blob.)
 */
export const limitDeclaredBody =
  (maxSize: number): MiddlewareHandler<Env> =>
  async (c, next) => {
    const declared = c.req.header('content-length');
    if (declared !== undefined && !c.req.header('transfer-encoding') && Number(declared) > maxSize) {
      c.header('Connection', 'close');
      return errorResponse(c, 'payload_too_large', `request body exceeds ${maxSize} bytes`);
    }
    await next();
    return undefined;
  };

/**
 * For bodies parsed whole (JSON), up to `maxSize`. A declared length (Node's parser holds the body to it) is
 * checked without touching the body: Hono's bodyLimit asks for the web Request's body first, which makes
 * the node adapter build a whole web Request (an AbortController, a web stream over the socket) and gives
 * up its direct read of the body; that was a fifth of the CPU of a one-result request. A body of unknown
 * length (chunked) is counted as it arrives, by bodyLimit.
 */
export const limitBody = (maxSize: number): MiddlewareHandler<Env> => {
  const tooLarge = (c: Context) => errorResponse(c, 'payload_too_large', `request body exceeds ${maxSize} bytes`);
  const counted = bodyLimit({ maxSize, onError: tooLarge });
  return async (c, next) => {
    const declared = c.req.header('content-length');
    if (declared === undefined || c.req.header('transfer-encoding')) return counted(c, next);
    if (Number(declared) > maxSize) return tooLarge(c);
    await next();
    return undefined;
  };
};
