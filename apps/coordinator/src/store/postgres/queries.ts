// Queries of one Postgres connection. A round trip costs far more than a row here, so every statement is
// prepared once per connection, under a name shared by every connection.
import type { PoolClient, QueryResultRow } from 'pg';

/** Statement names by text, shared by every connection (each prepares a name the first time it runs it). */
const names = new Map<string, string>();
const nameOf = (text: string): string => {
  let name = names.get(text);
  if (!name) {
    name = `b${names.size}`;
    names.set(text, name);
  }
  return name;
};

export class PgQueries {
  readonly #client: PoolClient;

  constructor(client: PoolClient) {
    this.#client = client;
  }

  async q<R extends QueryResultRow>(text: string, values: readonly unknown[] = []): Promise<R[]> {
    return (await this.#client.query<R>({ name: nameOf(text), text, values: values as unknown[] })).rows;
  }

  async one<R extends QueryResultRow>(text: string, values: readonly unknown[] = []): Promise<R | undefined> {
    return (await this.q<R>(text, values))[0];
  }
}
