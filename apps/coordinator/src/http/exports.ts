// Portable credit (issue 19), the sending side: a volunteer moves credit out of this grid, to another grid named by
// its coordinator's public key (steps/export.ts), and gets the export back as a proven receipt of this grid's log —
// the document it presents to the receiving grid (http/imports.ts there). The export is a debit here: the credit
// it moves is spendable on the receiving grid alone. With a `requestId`, the same request again (its answer lost) is
// answered with the first export's entry, proven against the newest tree head, and moves nothing (steps/export.ts).
import type { OpenAPIHono } from '@hono/zod-openapi';
import { API, ExportRequest, ExportResponse } from '@bricolage/protocol';
import { ApiError } from './errors';
import type { Deps, Env } from './env';
import { limitBody, volunteerAuth } from './middleware';
import { route } from './route';

export function exportRoutes(app: OpenAPIHono<Env>, deps: Deps): void {
  route(
    app,
    {
      method: 'post',
      path: API.exports,
      operationId: 'exportCredit',
      summary:
        'Move credit this volunteer may spend here to another grid: a debit here, answered with the proven export receipt to present there',
      tag: 'volunteer',
      auth: 'volunteer',
      body: ExportRequest,
      // A field it does not know is refused, not dropped: a misspelt requestId would move credit without the id that
      // makes a retry safe.
      strict: true,
      response: { schema: ExportResponse, description: 'The export, proven against this log’s newest tree head' },
    },
    [volunteerAuth(deps), limitBody(deps.config.maxJsonBytes)],
    async (c, { body }) => {
      const holder = c.get('volunteer');
      const exported = await deps.store.exportCredit(holder, body, deps.config.honouredLogs, deps.clock.now());
      if (!exported.ok) throw ApiError.from(exported.error);
      const [receipt] = await deps.log.prove(await deps.store.receiptsBetween(exported.value, exported.value + 1));
      if (!receipt) throw new Error(`the export at ${exported.value} is not in the log`);
      return c.json({ receipt });
    },
  );
}
