// The typed client's checked-in types are what the coordinator's OpenAPI document generates today: a route
// or schema changed without `npm run generate:client` fails here.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_TYPES_PATH, clientTypes, servedDocument } from './client-types';

describe('packages/client/src/generated/openapi.ts', () => {
  let document: { paths: Record<string, unknown>; components: { schemas: Record<string, { properties?: object }> } };

  beforeAll(async () => {
    document = (await servedDocument()) as typeof document;
  });

  it('is what the served OpenAPI document generates (run `npm run generate:client` after changing the API)', async () => {
    const checkedIn = readFileSync(CLIENT_TYPES_PATH, 'utf8');
    // toBe on strings of 50k characters prints a diff of the lines that differ.
    expect(await clientTypes(document)).toBe(checkedIn);
  });

  it('differs from the checked-in file when the document changes: the comparison can fail', async () => {
    const changed = structuredClone(document);
    const job = changed.components.schemas.Job as { properties: Record<string, unknown> };
    job.properties.owner = { type: 'string' };
    const generated = await clientTypes(changed);
    expect(generated).not.toBe(readFileSync(CLIENT_TYPES_PATH, 'utf8'));
    expect(generated).toContain('owner?: string;');
  });
});
