// Portable credit (issue 19), the sending side: a volunteer moves credit out of this grid, to another grid named by
// its coordinator's public key (steps/export.ts), and gets the export back as a proven receipt of this grid's log —
// the document it presents to the receiving grid (http/imports.ts there). The export is a debit here: the credit
// it moves is spendable on the receiving grid alone. With a `requestId`, the same request again (its answer lost) is
// answered with the first export's entry, proven against the newest tree head, and moves nothing (steps/export.ts);
// and the volunteer whose request got no answer settles it without sending it again: the export it made, or, none
// made, the id closed for good, so that the request landing later moves nothing.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { API, ExportRequest, ExportRequestId, ExportResponse, ExportSettled } from '@bricolage/protocol';
import { ApiError } from './errors';
import type { Deps, Env } from './env';
import { limitBody, volunteerAuth } from './middleware';
import { parseWith, route } from './route';

export function exportRoutes(app: OpenAPIHono<Env>, deps: Deps): void {
  /** The export entry at `index`, proven against the newest tree head. */
  const proven = async (index: number) => {
    const [receipt] = await deps.log.prove(await deps.store.receiptsBetween(index, index + 1));
    if (!receipt) throw new Error(`the export at ${index} is not in the log`);
    return receipt;
  };

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
      return c.json({ receipt: await proven(exported.value) });
    },
  );

  // A page whose export got no answer learns from this whether its own request moved the credit, by its id (its
  // receipts alone cannot tell its export from another tab's of the same amount), and for good: "not made" is only
  // true once the request, still on its way perhaps, can no longer land. So it is a settle, not a read.
  route(
    app,
    {
      method: 'post',
      path: API.settleExport(':requestId'),
      operationId: 'settleExportRequest',
      summary:
        'Settle an export request of this volunteer by its requestId: the export it made, or, none made, closed for good',
      description:
        'Sent by a client whose export got no answer. `exported`: the export made under that requestId. `closed`: none was made, and none will be: an export sent under it from then on (the request itself, landing late) is refused with 409 `conflict` and moves nothing. Settling again answers the same.',
      tag: 'volunteer',
      auth: 'volunteer',
      response: {
        schema: ExportSettled,
        description: 'The export, proven against this log’s newest tree head, or closed',
      },
    },
    [volunteerAuth(deps)],
    async (c) => {
      const requestId = parseWith(ExportRequestId, c.req.param('requestId'), 'requestId');
      const settled = await deps.store.settleExportRequest(c.get('volunteer'), requestId, deps.clock.now());
      return c.json(
        settled.kind === 'closed' ? { kind: 'closed' } : { kind: 'exported', receipt: await proven(settled.index) },
      );
    },
  );
}
