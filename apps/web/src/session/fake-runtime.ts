// The runtime as the page's grid tests see it (`vi.mock('@bricolage/runtime', () => import('./fake-runtime'))`): a
// computing grid's volunteer without a worker. It asks the grid for its counters through the grid's fetch (as the
// real one asks for leases and counters), answers them with `made.stats`, and holds no receipts. The options it was
// made with and the listeners given it are kept, for a test to read and to call as the runtime would.
import type { VolunteerStats } from '@bricolage/protocol';
import type { Outbox } from '@bricolage/runtime';

export const made = {
  options: [] as { coordinator: string; projectKeys?: ReadonlyMap<string, string>; outbox?: Outbox }[],
  listeners: new Map<string, ((event: unknown) => void)[]>(),
  /**
   * How many times a volunteer was started, stopped, asked to deliver what it holds, to retry what it set aside, and
   * closed.
   */
  starts: 0,
  stops: 0,
  flushes: 0,
  retries: 0,
  closes: 0,
  /** What making a volunteer waits for once asked (the runtime's code loading). */
  loading: Promise.resolve() as Promise<void>,
  /** What a volunteer's stop waits for once asked (the work unit in its worker finishing). */
  stopping: Promise.resolve() as Promise<void>,
  /** What the volunteer's `stats` answers: its counters at the grid. */
  stats: { valid: 0, pending: 0 } as Partial<VolunteerStats>,
};

export const createVolunteer = async (options: {
  fetch: typeof fetch;
  coordinator: string;
  projectKeys?: ReadonlyMap<string, string>;
  outbox?: Outbox;
}) => {
  made.options.push(options);
  await made.loading;
  return {
    id: 'volunteer',
    on: (type: string, listener: (event: unknown) => void) => {
      made.listeners.set(type, [...(made.listeners.get(type) ?? []), listener]);
      return () => undefined;
    },
    start: async () => {
      made.starts++;
    },
    stop: async () => {
      made.stops++;
      await made.stopping;
    },
    close: async () => {
      made.closes++;
    },
    pause: () => undefined,
    resume: () => undefined,
    setThrottle: () => undefined,
    setProjects: () => undefined,
    coordinatorBack: () => undefined,
    // As the runtime's: what its outbox set aside goes back into delivery.
    retrySetAside: async () => {
      made.retries++;
      return (await options.outbox?.retryAside()) ?? 0;
    },
    flush: async () => {
      made.flushes++;
      return true;
    },
    status: async () => ({ counts: { leased: 0, computed: 0, failed: 0 } }),
    stats: async () => {
      await options.fetch(`${options.coordinator}/stats`);
      return { ok: true, value: { ...made.stats } };
    },
    receipts: async () => ({ ok: true, value: { receipts: [], next: null } }),
  };
};
