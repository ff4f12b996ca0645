// A volunteer's personal project (issue 19): opened with the volunteer key's own token, no operator involved.
// Its jobs are paid from the key's credit (steps/fund.ts); the answer carries a project token, so that the
// researcher's tools (dashboard, CLI, client) work on it unchanged. Asking again gives the same project a new
// token: the key is the credential, the token only a session of it.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { API, CreatedProject, OpenFundedProjectRequest } from '@bricolage/protocol';
import { newProjectRecord } from '../new-project';
import { newProjectToken } from './tokens';
import type { Deps, Env } from './env';
import { limitBody, volunteerAuth } from './middleware';
import { route } from './route';

export function fundedProjectRoutes(app: OpenAPIHono<Env>, deps: Deps): void {
  route(
    app,
    {
      method: 'post',
      path: API.myFundedProject,
      operationId: 'openFundedProject',
      summary:
        "Open the volunteer key's personal project, whose jobs its credit pays for (or the one it has), with a new project token",
      tag: 'volunteer',
      auth: 'volunteer',
      body: OpenFundedProjectRequest,
      response: { schema: CreatedProject, description: 'The project and a new token for it' },
    },
    [volunteerAuth(deps), limitBody(deps.config.maxJsonBytes)],
    async (c, { body }) => {
      const funder = c.get('volunteer');
      const { token, hash } = newProjectToken();
      const fresh = newProjectRecord(deps.clock, { ...body, owner: `volunteer ${funder}` });
      const project = await deps.store.openFundedProject(funder, fresh, hash);
      return c.json({ project, token });
    },
  );
}
