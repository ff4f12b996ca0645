// Vitest global setup: one real Postgres server for the whole run (each test makes its own database on it),
// stopped at the end. Without Postgres binaries the Postgres half of the store suite is skipped with the
// reason printed, except where BRICOLAGE_REQUIRE_POSTGRES=1 (CI: .ci/run installs them) makes that a failure.
import type { TestProject } from 'vitest/node';
import { startPostgres } from './postgres-server';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The administrator URL of the run's Postgres server, or why there is none. */
    postgres: { readonly url: string | null; readonly why: string | null };
  }
}

export default async function setup(project: TestProject) {
  const started = await startPostgres();
  if (!started.ok) {
    const why = `no Postgres server for the store suite: ${started.why}`;
    if (process.env.BRICOLAGE_REQUIRE_POSTGRES === '1') throw new Error(why);
    console.warn(`${why}\n(the Postgres half of the shared store suite is skipped)`);
    project.provide('postgres', { url: null, why });
    return;
  }
  project.provide('postgres', { url: started.server.adminUrl, why: null });
  return async () => {
    await started.server.stop();
  };
}
