// Authentication, rate limits and body caps, applied per route.
import { getConnInfo } from '@hono/node-server/conninfo';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError, errorResponse } from './errors';
import type { Deps, Env } from './env';
import { projectTokenHash } from './tokens';

function bearer(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m ? (m[1] as string) : null;
}

export function clientAddress(c: Parameters<MiddlewareHandler>[0]): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch (e) {
    // app.request() in tests has no socket; every such request shares one bucket.
    return `no-socket:${(e as Error).name}`;
  }
}

export const perAddressLimit =
  (deps: Deps): MiddlewareHandler<Env> =>
  async (c, next) => {
    if (!deps.perAddress.take(clientAddress(c)))
      throw new ApiError('rate_limited', 'too many requests from this address');
    await next();
  };

export const projectAuth =
  (deps: Deps): MiddlewareHandler<Env> =>
  async (c, next) => {
    const token = bearer(c.req.header('authorization'));
    if (!token) throw new ApiError('unauthorized', 'missing project token (Authorization: Bearer brk_...)');
    const project = await deps.store.projectByTokenHash(projectTokenHash(token));
    if (!project) throw new ApiError('unauthorized', 'unknown project token');
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
    if (!token) throw new ApiError('unauthorized', 'missing volunteer token: sign a challenge at /v1/auth/token first');
    const checked = deps.tokens.check(token, deps.clock.now());
    if (!checked.ok)
      throw checked.expired
        ? new ApiError('token_expired', 'volunteer token expired: sign a new challenge')
        : new ApiError('unauthorized', 'invalid volunteer token');
    if (!deps.perVolunteer.take(checked.volunteer))
      throw new ApiError('rate_limited', 'too many requests from this volunteer');
    c.set('volunteer', checked.volunteer);
    await next();
  };

export const limitBody = (maxSize: number): MiddlewareHandler<Env> =>
  bodyLimit({
    maxSize,
    onError: (c) => errorResponse(c, 'payload_too_large', `request body exceeds ${maxSize} bytes`),
  });
