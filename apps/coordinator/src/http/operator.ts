// The operator's routes beyond creating projects (projects.ts): the ban list of volunteer keys. A banned key
// gets 403 on the token exchange and on every volunteer request, its open leases go back to the queue, and its open
// signaling connections are closed on every coordinator of the grid.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { API, BanList, BanRequest, BanResponse, UnbanResponse, VolunteerKey } from '@bricolage/protocol';
import type { Deps, Env } from './env';
import { limitBody, operatorAuth, perAddressLimit } from './middleware';
import { parseWith, route } from './route';

const hono = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

export function operatorRoutes(app: OpenAPIHono<Env>, deps: Deps): void {
  const guard = [perAddressLimit(deps), operatorAuth(deps)];
  const key = (raw: string | undefined) => parseWith(VolunteerKey, raw, 'volunteer key');

  route(
    app,
    {
      method: 'post',
      path: hono(API.ban('{volunteer}')),
      operationId: 'banVolunteer',
      summary: 'Ban a volunteer key: no token, 403 on every request, its open leases released at once',
      tag: 'operator',
      auth: 'operator',
      body: BanRequest,
      response: { schema: BanResponse, description: 'The ban, and how many leases it released' },
    },
    [...guard, limitBody(deps.config.maxJsonBytes)],
    async (c, { body }) => {
      const volunteer = key(c.req.param('volunteer'));
      const made = await deps.store.banVolunteer(volunteer, body.reason, deps.clock.now());
      // Once committed: a coordinator told of it before could let the key's next handshake in.
      deps.announceBan(volunteer);
      return c.json(made);
    },
  );

  route(
    app,
    {
      method: 'post',
      path: hono(API.unban('{volunteer}')),
      operationId: 'unbanVolunteer',
      summary: 'Lift the ban of a volunteer key',
      tag: 'operator',
      auth: 'operator',
      response: { schema: UnbanResponse, description: 'Whether the key had been banned' },
    },
    guard,
    async (c) => {
      const volunteer = key(c.req.param('volunteer'));
      return c.json({ volunteer, wasBanned: await deps.store.unbanVolunteer(volunteer) });
    },
  );

  route(
    app,
    {
      method: 'get',
      path: API.bans,
      operationId: 'listBans',
      summary: 'The banned volunteer keys, oldest ban first',
      tag: 'operator',
      auth: 'operator',
      response: { schema: BanList, description: 'Bans' },
    },
    guard,
    async (c) => c.json({ bans: await deps.store.bans() }),
  );
}
