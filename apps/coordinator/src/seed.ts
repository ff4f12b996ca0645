// Seeds the demo project on an empty grid so a freshly opened tab has something to compute at once:
// prime counting over [0, 10^9) in segments, the PrimeGrid way. Goes through the public HTTP API,
// so the demo is validated exactly as a researcher's job would be.
import { API, toBase64 } from '@bricolage/protocol';
import { primes } from '@bricolage/workloads';
import { buildJob } from '@bricolage/workloads/node';
import { sha256Hex } from './hash';
import type { Coordinator } from './server';

export const DEMO_PROJECT = 'Prime count (demo)';

/**
 * How the demo's results are checked: always by two volunteers (no trust that lets one alone be accepted), and
 * one lease in ten a known-answer unit. The README's Quick start says what the page derives from these
 * (checking.test.ts holds the two together).
 */
export const DEMO_CHECKING = {
  adaptive: { enabled: false, trustAfter: 10, spotCheckRate: 0.1 },
  knownAnswerRate: 0.1,
} as const;

export interface DemoOptions {
  /** Count primes below this. */
  readonly limit?: number;
  /** Numbers per work unit. */
  readonly segment?: number;
}

export async function seedDemo(
  coordinator: Coordinator,
  options: DemoOptions = {},
): Promise<{ seeded: boolean; job?: string }> {
  const projects = await coordinator.store.listProjects();
  if (projects.some((p) => p.name === DEMO_PROJECT)) return { seeded: false };
  const { token } = await coordinator.createProject(
    DEMO_PROJECT,
    'Counts the primes below one billion with a segmented sieve, one segment per work unit; the totals are checked against the known values of π(10^k).',
    'The Bricolage project',
  );
  // Every 25th segment is also a known-answer unit: a volunteer alone on a fresh grid still earns
  // verified credit on those, while ordinary units wait for a second volunteer to agree.
  const params = {
    limit: options.limit ?? 1_000_000_000,
    segment: options.segment ?? 1_000_000,
    knownAnswerEvery: 25,
  };
  const bundle = await buildJob(primes, params);
  const auth = { authorization: `Bearer ${token}` };
  for (const blob of bundle.blobs) {
    const res = await fetch(coordinator.url + API.blob(sha256Hex(blob)), {
      method: 'PUT',
      headers: auth,
      body: blob as Uint8Array<ArrayBuffer>,
    });
    if (!res.ok) throw new Error(`seeding: blob upload failed: ${await res.text()}`);
  }
  const created = await fetch(coordinator.url + API.jobs, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ ...bundle.request, ...DEMO_CHECKING }),
  });
  if (!created.ok) throw new Error(`seeding: job creation failed: ${await created.text()}`);
  const job = ((await created.json()) as { id: string }).id;
  let body = '';
  for (const wu of primes.workUnits(params)) {
    body += `${JSON.stringify({ input: toBase64(wu.input), tag: wu.tag, ...(wu.expected ? { expected: toBase64(wu.expected) } : {}) })}\n`;
  }
  const added = await fetch(coordinator.url + API.workUnits(job), {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/x-ndjson' },
    body,
  });
  if (!added.ok) throw new Error(`seeding: work unit upload failed: ${await added.text()}`);
  return { seeded: true, job };
}
