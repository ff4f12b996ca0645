// Another grid's public answers, checked against the protocol's schemas: it is a coordinator the volunteer named by
// URL, not the one that served this page, and its answers are untrusted input like any other (its log's answers are
// the receipts package's verifier's to check). In the grids' own chunk: the schemas load only with other grids.
import { API, ProjectList, type Schema, WellKnown } from '@bricolage/protocol';
import type { PublicApi } from '../api';

/** `body` as `schema` says, or an error that says which answer was not what the protocol says. */
function checked<T>(schema: Schema<T>, body: unknown, path: string): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new Error(`its answer to ${path} is not what the protocol says: ${parsed.error.message}`);
  return parsed.data;
}

/** `api` with its well-known document and project list checked before anything reads them. */
export function checkedApi(api: PublicApi): PublicApi {
  return {
    ...api,
    wellKnown: async () => checked(WellKnown, await api.wellKnown(), API.wellKnown),
    projects: async () => checked(ProjectList, { projects: await api.projects() }, API.projects).projects,
  };
}
