// Seeds the demo on an empty grid, so that a freshly opened tab has something worth watching to compute: a
// deep-zoom Mandelbrot frame of DEMO_FRAME, one 64×64 tile per work unit, whose picture fills in on the
// volunteer page and the dashboard (the job publishes its results). Goes through the HTTP API, so the demo is
// validated exactly as a researcher's job would be. The primes demo it replaced stays for the benchmarks,
// whose figures are in its terms.
import { API, type CreateJobRequest, toBase64 } from '@bricolage/protocol';
import {
  MANDELBROT_DEEP_ZOOM,
  type MandelbrotParams,
  mandelbrot,
  primes,
  type WorkUnitInput,
} from '@bricolage/workloads';
import { buildJob } from '@bricolage/workloads/node';
import { sha256Hex } from './hash';
import type { Coordinator } from './server';

export const DEMO_PROJECT = 'Deep zoom (demo)';
export const PRIMES_DEMO_PROJECT = 'Prime count (demo)';

/**
 * Deep in seahorse valley: 2e-11 wide (pixels 3.9e-15 apart, about as fine as the kernel's Q8.56 numbers
 * go), 5120 × 3840 pixels in 4,800 tiles, escape counts around 2,500. One tab alone computes every tile once
 * (a second replica always goes to someone else): 0.8–0.9 s of CPU a tile, 1.1–1.2 hours on an idle core
 * and longer on a busy one (`npm run bench:demo`; BENCHMARKS.md, Demo).
 */
export const DEMO_FRAME: MandelbrotParams = {
  ...MANDELBROT_DEEP_ZOOM,
  span: 2e-11,
  width: 5120,
  height: 3840,
  maxIter: 16384,
};

/**
 * How the demo's tiles are checked: always by two volunteers, no trust that lets one alone be accepted (the
 * default adaptive replication would, once a key has ten confirmed results). The README's Quick start says
 * what this does and quotes what the page derives from it; checking-claims.test.ts holds them together.
 */
export const DEMO_CHECKING = {
  adaptive: { enabled: false, trustAfter: 10, spotCheckRate: 0.1 },
  knownAnswerRate: 0,
} as const;

export interface DemoOptions {
  /** The frame to render; DEMO_FRAME unless given (tests and benchmarks seed smaller ones). */
  readonly frame?: MandelbrotParams;
  /** What the frame shows, for its name and description: "Seahorse valley" for DEMO_FRAME. */
  readonly title?: string;
}

export interface PrimesDemoOptions {
  /** Count primes below this. */
  readonly limit?: number;
  /** Numbers per work unit. */
  readonly segment?: number;
}

export interface Seeded {
  readonly seeded: boolean;
  readonly job?: string;
  readonly workUnits?: number;
}

/** The deep-zoom demo, unless a project of its name exists already. */
export async function seedDemo(coordinator: Coordinator, options: DemoOptions = {}): Promise<Seeded> {
  const frame = options.frame ?? DEMO_FRAME;
  const title = options.title ?? (options.frame ? 'A frame of the Mandelbrot set' : 'Seahorse valley');
  const bundle = await buildJob(mandelbrot, frame);
  const request: CreateJobRequest = {
    ...bundle.request,
    name: `${title}, ${frame.width} × ${frame.height}`,
    // Its picture is the point: anyone may read the validated tiles (the volunteer page shows them).
    publicResults: true,
    ...DEMO_CHECKING,
    // A tile takes a second or two; a tab that went away gives its tiles back within ten minutes.
    leaseSeconds: 600,
  };
  const tiles = (frame.width / 64) * (frame.height / 64);
  const description =
    `${title}: the Mandelbrot set ${frame.span} wide around ${frame.centerX} + ${frame.centerY}i, in ` +
    `${tiles.toLocaleString('en')} tiles of 64 × 64 pixels, up to ${frame.maxIter.toLocaleString('en')} iterations a pixel in ` +
    // How its tiles are checked is not said here: the page says it of each job, from the job's own settings.
    'fixed-point arithmetic. Watch the picture fill in: tiles this tab computed are outlined.';
  return seed(coordinator, DEMO_PROJECT, description, { blobs: bundle.blobs, request }, mandelbrot.workUnits(frame));
}

/** Counting the primes below `limit`, one segment per unit, about one in 25 drawn as a known-answer unit. */
export async function seedPrimesDemo(coordinator: Coordinator, options: PrimesDemoOptions = {}): Promise<Seeded> {
  const params = { limit: options.limit ?? 1_000_000_000, segment: options.segment ?? 1_000_000, knownAnswerEvery: 25 };
  const bundle = await buildJob(primes, params);
  const request: CreateJobRequest = { ...bundle.request, knownAnswerRate: 0.1 };
  const description = `Counts the primes below ${params.limit.toLocaleString('en')} with a segmented sieve, one segment per work unit.`;
  return seed(
    coordinator,
    PRIMES_DEMO_PROJECT,
    description,
    { blobs: bundle.blobs, request },
    primes.workUnits(params),
  );
}

async function seed(
  coordinator: Coordinator,
  name: string,
  description: string,
  bundle: { blobs: readonly Uint8Array[]; request: CreateJobRequest },
  units: Iterable<WorkUnitInput>,
): Promise<Seeded> {
  if ((await coordinator.store.listProjects()).some((p) => p.name === name)) return { seeded: false };
  const { token } = await coordinator.createProject(name, description, 'The Bricolage project');
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
    body: JSON.stringify(bundle.request),
  });
  if (!created.ok) throw new Error(`seeding: job creation failed: ${await created.text()}`);
  const job = ((await created.json()) as { id: string }).id;
  let body = '';
  let workUnits = 0;
  for (const wu of units) {
    body += `${JSON.stringify({ input: toBase64(wu.input), tag: wu.tag, ...(wu.expected ? { expected: toBase64(wu.expected) } : {}) })}\n`;
    if (!wu.expected) workUnits++;
  }
  const added = await fetch(coordinator.url + API.workUnits(job), {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/x-ndjson', 'idempotency-key': `seed:${job}` },
    body,
  });
  if (!added.ok) throw new Error(`seeding: work unit upload failed: ${await added.text()}`);
  return { seeded: true, job, workUnits };
}
