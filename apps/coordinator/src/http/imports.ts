// Portable credit (issue 19), the receiving side: a volunteer presents exports of other grids this coordinator
// honours (config `honouredLogs`, by public key), addressed to this grid; each is checked offline here — its
// signature and its inclusion proof against its own log's signed tree head — and credited to its volunteer once,
// as an `import` entry of this grid's log. The other grid's log proves the export exists and debited it there; this
// one's table of imported receipts (steps/import.ts) stops it being credited here twice. A plain credit receipt is
// not honoured: it stays spendable where it was earned, so crediting it here would count it twice.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { API, type ExportBody, ImportRequest, ImportResponse, verifyReceipt } from '@bricolage/protocol';
import { ApiError } from './errors';
import type { Deps, Env } from './env';
import { limitBody, volunteerAuth } from './middleware';
import { route } from './route';

export function importRoutes(app: OpenAPIHono<Env>, deps: Deps): void {
  route(
    app,
    {
      method: 'post',
      path: API.imports,
      operationId: 'importReceipts',
      summary:
        'Credit this volunteer with its exports to this grid from other grids this coordinator honours: each once, all or none',
      tag: 'volunteer',
      auth: 'volunteer',
      body: ImportRequest,
      response: { schema: ImportResponse, description: 'How many were credited, and how much' },
    },
    [volunteerAuth(deps), limitBody(deps.config.maxJsonBytes)],
    async (c, { body }) => {
      const holder = c.get('volunteer');
      const honoured = new Set(deps.config.honouredLogs);
      const accepted: ExportBody[] = [];
      const seen = new Map<string, number>();
      for (const [i, proven] of body.receipts.entries()) {
        const claimed = (proven as { receipt?: { body?: { log?: unknown } } })?.receipt?.body?.log;
        const log = typeof claimed === 'string' ? claimed : '';
        if (log === deps.key.publicKey)
          throw new ApiError('bad_request', `receipts[${i}] is this grid's own: it is counted here already`, i);
        if (!honoured.has(log))
          throw new ApiError(
            'forbidden',
            `receipts[${i}] is from a log this coordinator does not honour (${log || 'none named'})`,
            i,
          );
        const checked = await verifyReceipt(proven, log);
        // 400, not bad_signature's 401: the volunteer's credentials are fine, the document it presents is not.
        if (!checked.ok) throw new ApiError('bad_request', `receipts[${i}]: ${checked.error.message}`, i);
        const b = checked.value;
        if (b.type === 'credit')
          throw new ApiError(
            'bad_request',
            `receipts[${i}] is a credit receipt, still spendable on the grid that granted it: move credit with an export there (POST ${API.exports} with "to": "${deps.key.publicKey}") and present that`,
            i,
          );
        if (b.type !== 'export')
          throw new ApiError('bad_request', `receipts[${i}] is a ${b.type}: only exports to this grid are honoured`, i);
        if (b.to !== deps.key.publicKey)
          throw new ApiError('forbidden', `receipts[${i}] is an export to another grid (${b.to}), not to this one`, i);
        if (b.volunteer !== holder)
          throw new ApiError('forbidden', `receipts[${i}] is another volunteer's: only its own may present it`, i);
        const id = `${b.log}/${b.index}`;
        const earlier = seen.get(id);
        if (earlier !== undefined) throw new ApiError('bad_request', `receipts[${i}] repeats receipts[${earlier}]`, i);
        seen.set(id, i);
        accepted.push(b);
      }
      const result = await deps.store.importCredits(holder, accepted, deps.clock.now());
      if (!result.ok) throw ApiError.from(result.error);
      return c.json(result.value);
    },
  );
}
