// The coordinator's public routes the page reads itself (the volunteer routes go through the runtime).
// Same origin: the page is served by the coordinator it talks to.
import { API, type ListedProject, type WellKnown } from '@bricolage/protocol';
import type { LogSource } from '@bricolage/receipts';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface PublicApi extends LogSource {
  projects(): Promise<ListedProject[]>;
  wellKnown(): Promise<WellKnown>;
  health(): Promise<boolean>;
}

/** How long a read may go unanswered: a coordinator that takes the connection and never answers is down to the page. */
const READ_TIMEOUT_MS = 30_000;

/**
 * The public reads, as the coordinator answers them: the page's own coordinator served this page's code, so its
 * answers are taken as they come; another grid's go through `checkedApi` (session/checked-api.ts) first.
 */
export function publicApi(base: string, fetcher: typeof fetch): PublicApi {
  const get = async (path: string): Promise<unknown> => {
    const response = await fetcher(base + path, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(READ_TIMEOUT_MS),
    });
    if (!response.ok) {
      const text = await response.text();
      let message = text.slice(0, 200) || `HTTP ${response.status}`;
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
      } catch {
        // Not the coordinator's JSON error shape (a proxy's page): keep the raw text.
      }
      throw new HttpError(response.status, message);
    }
    return response.json();
  };
  return {
    // `?.`: a body of `null` (a proxy's, another grid's) leaves the list undefined for `checkedApi` to refuse, saying why.
    projects: async () =>
      ((await get(API.projects)) as { projects: ListedProject[] } | null)?.projects as ListedProject[],
    wellKnown: async () => (await get(API.wellKnown)) as WellKnown,
    health: async () => {
      await get(API.health);
      return true;
    },
    treeHead: () => get(API.treeHead),
    inclusion: (index, size) => get(`${API.inclusion}?index=${index}&size=${size}`),
    consistency: (from, to) => get(`${API.consistency}?from=${from}&to=${to}`),
  };
}
