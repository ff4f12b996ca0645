// Shared setup for the WebRTC browser tests: they must run in the network namespace that
// `npm run test:e2e:webrtc` makes (scripts/in-netns.mjs), never on a machine's real network. A job whose kernel
// reads a 5 MB table (a constant binding: a job asset, fetched once per job by each volunteer), the volunteer page
// opened in separate browser contexts (separate profiles: no BroadcastChannel between them, only WebRTC), and
// readers for the swarm view.
import { networkInterfaces } from 'node:os';
import type { Coordinator, RequestRecord } from '@bricolage/coordinator';
import { API, type CreateJobRequest, sha256Hex, toBase64, utf8 } from '@bricolage/protocol';
import { cnn } from '@bricolage/workloads';
import { buildJob } from '@bricolage/workloads/node';
import { type Browser, type BrowserContext, expect, type Page, test as base } from '@playwright/test';
import { buildWeb } from '../web/support';

export { expect } from '@playwright/test';

/** The interfaces the namespace has; anything else means this is not it. */
const NAMESPACE_INTERFACES = new Set(['lo', 't0', 't1']);

/** Why these tests must not run here, or null inside the namespace. */
export function outsideNamespace(): string | null {
  const found = Object.keys(networkInterfaces()).filter((name) => !NAMESPACE_INTERFACES.has(name));
  return found.length === 0
    ? null
    : `not in the test's network namespace (this machine has ${found.join(', ')}): run npm run test:e2e:webrtc`;
}

/** 5 MB of table, as the issue asks: the asset peers serve each other. */
export const TABLE_BYTES = 5 * 1024 * 1024;
const LANES = 64;
/** Lookups per lane: enough that a work unit takes tens of milliseconds, so that volunteers are mid-job together. */
const ROUNDS = 4096;

const TABLE_WGSL = `@group(0) @binding(0) var<storage, read> table: array<u32>;
@group(0) @binding(1) var<storage, read> xs: array<u32, ${LANES}>;
@group(0) @binding(2) var<storage, read_write> ys: array<u32, ${LANES}>;
@compute @workgroup_size(${LANES}) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let n = arrayLength(&table);
  var acc = xs[id.x];
  for (var i = 0u; i < ${ROUNDS}u; i++) {
    acc = table[(acc ^ (i * 2654435761u)) % n] ^ (acc >> 1u);
  }
  ys[id.x] = acc;
}
`;

/** The table: every byte of it matters to some work unit's answer. */
export function table(): Uint8Array {
  const words = new Uint32Array(TABLE_BYTES / 4);
  let x = 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return new Uint8Array(words.buffer);
}

/** Inputs that between them look up entries all over the table. */
export function tableInput(unit: number): Uint8Array {
  const xs = new Uint32Array(LANES);
  for (let i = 0; i < LANES; i++) xs[i] = (unit * 7919 + i * 20_483) % (TABLE_BYTES / 4);
  return new Uint8Array(xs.buffer);
}

/** What the kernel computes, in JavaScript: the check that the table arrived intact. */
export function tableReference(input: Uint8Array, bytes: Uint8Array): Uint8Array {
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const xs = new Uint32Array(input.buffer.slice(input.byteOffset, input.byteOffset + input.byteLength));
  return new Uint8Array(
    xs.map((x) => {
      let acc = x;
      for (let i = 0; i < ROUNDS; i++)
        acc = ((words[((acc ^ Math.imul(i, 2654435761)) >>> 0) % words.length] as number) ^ (acc >>> 1)) >>> 0;
      return acc;
    }).buffer,
  );
}

export interface SeededJob {
  readonly project: string;
  readonly token: string;
  readonly job: string;
  /** The table's blob hash: requests for it are what the tests count. */
  readonly tableHash: string;
  readonly units: number;
}

/** The researcher's side over HTTP: a project (operator token), blobs, a job, its work units. */
export async function seedTableJob(
  url: string,
  operatorToken: string,
  options: { units: number; leaseSeconds?: number; name?: string },
): Promise<SeededJob> {
  const { project, token } = await newProject(url, operatorToken, options.name ?? 'Table lookups (peers test)');
  const auth = { authorization: `Bearer ${token}` };
  const shader = utf8(TABLE_WGSL);
  const bytes = table();
  await putBlobs(url, token, [shader, bytes]);
  const tableHash = await sha256Hex(bytes);
  const request: CreateJobRequest = {
    name: 'Table lookups',
    spec: {
      kind: 'wgsl',
      shader: (await sha256Hex(shader)) as never,
      entryPoint: 'main',
      bindings: [
        { binding: 0, name: 'table', type: 'read', role: 'constant', size: TABLE_BYTES, blob: tableHash as never },
        { binding: 1, name: 'xs', type: 'read', role: 'input', size: LANES * 4 },
        { binding: 2, name: 'ys', type: 'read_write', role: 'output', size: LANES * 4 },
      ],
      dispatch: [1, 1, 1],
    },
    comparator: { kind: 'exact' },
    // One result validates a unit: each test volunteer's own results are what is counted.
    redundancy: { minQuorum: 1, maxTotalResults: 2, maxErrorResults: 1, homogeneous: false },
    adaptive: { enabled: false, trustAfter: 10, spotCheckRate: 0.1 },
    knownAnswerRate: 0,
    costPerWorkUnit: 1,
    leaseSeconds: options.leaseSeconds ?? 600,
  };
  const job = await fetch(url + API.jobs, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  if (!job.ok) throw new Error(`job: ${job.status} ${await job.text()}`);
  const { id } = (await job.json()) as { id: string };
  await addWorkUnits(
    url,
    token,
    id,
    Array.from({ length: options.units }, (_, unit) => ({ input: tableInput(unit), tag: `unit-${unit}` })),
  );
  return { project: project.id, token, job: id, tableHash, units: options.units };
}

/** An ONNX job (the small CNN, on onnxruntime-web): what makes a volunteer load onnxruntime's .wasm. */
export async function seedOnnxJob(
  url: string,
  operatorToken: string,
  units: number,
): Promise<{ project: string; token: string; job: string }> {
  const { project, token } = await newProject(url, operatorToken, 'CNN (peers test)');
  const params = { workUnits: units, seed: 3 };
  const bundle = await buildJob(cnn, params);
  await putBlobs(url, token, bundle.blobs);
  const job = await fetch(url + API.jobs, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(bundle.request),
  });
  if (!job.ok) throw new Error(`job: ${job.status} ${await job.text()}`);
  const { id } = (await job.json()) as { id: string };
  await addWorkUnits(url, token, id, cnn.workUnits(params));
  return { project: project.id, token, job: id };
}

async function newProject(
  url: string,
  operatorToken: string,
  name: string,
): Promise<{ project: { id: string }; token: string }> {
  const created = await fetch(url + API.projects, {
    method: 'POST',
    headers: { authorization: `Bearer ${operatorToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, description: 'e2e', owner: 'tests' }),
  });
  if (!created.ok) throw new Error(`project: ${created.status} ${await created.text()}`);
  return (await created.json()) as { project: { id: string }; token: string };
}

async function putBlobs(url: string, token: string, blobs: readonly Uint8Array[]): Promise<void> {
  for (const blob of blobs) {
    const put = await fetch(url + API.blob(await sha256Hex(blob)), {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}` },
      body: blob as Uint8Array<ArrayBuffer>,
    });
    if (!put.ok) throw new Error(`blob: ${put.status} ${await put.text()}`);
  }
}

/** Units made (and written out) between two turns of the event loop: see addWorkUnits. */
const UNITS_PER_TURN = 50;

/**
 * Uploads the units as NDJSON. They are made and written out a few at a time, letting the event loop turn between:
 * the coordinator runs in this process, and the CNN's 2,000 units (22 MB of NDJSON) made in one go held the loop for
 * 3 s here, longer on a loaded machine. Held past the coordinator's keep-alive timeout (5 s), the upload went out on
 * the connection the last request had left open, and the coordinator's timer, due meanwhile, closed that connection
 * before reading it: `fetch failed` (ECONNRESET), mesh.spec's ONNX test failing before any page had started.
 */
async function addWorkUnits(
  url: string,
  token: string,
  job: string,
  units: Iterable<{ input: Uint8Array; tag?: string }>,
): Promise<void> {
  const lines: string[] = [];
  for (const u of units) {
    lines.push(`${JSON.stringify({ input: toBase64(u.input), tag: u.tag })}\n`);
    if (lines.length % UNITS_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  const body = lines.join('');
  const added = await fetch(url + API.workUnits(job), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
    body,
  });
  if (!added.ok) throw new Error(`work units: ${added.status} ${await added.text()}`);
}

/** The job's results as the researcher downloads them. */
export async function results(
  url: string,
  token: string,
  job: string,
): Promise<{ workUnit: string; tag: string; output: string }[]> {
  const response = await fetch(url + API.results(job), { headers: { authorization: `Bearer ${token}` } });
  const text = await response.text();
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { workUnit: string; tag: string; output: string });
}

/** Opens the volunteer page for one project in a context of its own, and waits until it has booted. */
/**
 * BRICOLAGE_PEER_TRACE=1: each volunteer page traces its peer room (`?trace=peers`), and the trace comes out here,
 * each line under the page's name: who offered to whom, connections opened, connected and closed, what the signal
 * gate dropped, the watchdog's resets.
 */
const TRACE = process.env.BRICOLAGE_PEER_TRACE === '1';

export async function openVolunteer(
  browser: Browser,
  url: string,
  project: string,
  options: { initScript?: () => void; name: string },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  if (options.initScript) await context.addInitScript(options.initScript);
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[${options.name} page error] ${error.message}`));
  page.on('console', (message) => {
    // While a test holds the coordinator down, every tab's signaling socket retries and fails: not news.
    if (message.type() === 'error' && !/WebSocket connection to .*\/signal/.test(message.text()))
      console.error(`[${options.name} console] ${message.text()}`);
    else if (TRACE && message.type() === 'debug' && message.text().startsWith('[peers '))
      console.error(`[${options.name}] ${message.text()}`);
  });
  await page.goto(`${url}/?project=${project}${TRACE ? '&trace=peers' : ''}`);
  await page.getByRole('button', { name: /^Start/ }).waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid="phase"]')?.textContent !== 'Loading');
  return { context, page };
}

/**
 * A number the page shows in an attribute, or -1 where it shows no such element. Read in one evaluation, with no
 * timeout of its own: a page slow to answer (its main thread busy, on a loaded machine) is waited for, not read as
 * showing nothing. Were a 1 s timeout taken for -1, one slow read among the ~180 the outage test samples during its
 * minute would fail that test (it fails on any -1: the swarm view must stay up).
 */
const attribute = async (page: Page, testId: string, name: string): Promise<number> =>
  Number(
    (await page.evaluate(([id, attr]) => document.querySelector(`[data-testid="${id}"]`)?.getAttribute(attr) ?? null, [
      testId,
      name,
    ] as const)) ?? -1,
  );

/** Volunteers the page's swarm view shows (-1 before it shows any). */
export const swarmPeers = (page: Page) => attribute(page, 'swarm-online', 'data-peers');
/** WebRTC connections the page has open. */
export const swarmConnections = (page: Page) => attribute(page, 'swarm-online', 'data-connections');
export const bytesFromPeers = (page: Page) => attribute(page, 'swarm-from-peers', 'data-bytes');
export const bytesServed = (page: Page) => attribute(page, 'swarm-served', 'data-bytes');
export const computed = async (page: Page) => Number(await page.getByTestId('stat-computed').textContent());

/** Presses the page's Start: the volunteer starts computing, and joins its project's peer room. */
export const start = (page: Page) => page.getByRole('button', { name: 'Start' }).click();

/** Sets the page's "Use of this device" (10–100%). */
export const throttle = (page: Page, percent: number) => page.getByLabel(/Use of this device/).fill(String(percent));

/** Waits until every page sees all of them in its swarm, over a WebRTC connection to each of the others. */
export async function meshFormed(pages: readonly Page[], timeout = 60_000): Promise<void> {
  for (const page of pages) {
    await expect.poll(() => swarmPeers(page), { timeout }).toBe(pages.length);
    await expect.poll(() => swarmConnections(page), { timeout }).toBe(pages.length - 1);
  }
}

/** Records the requests a coordinator receives (its `onRequest` hook). */
export class Traffic {
  readonly requests: RequestRecord[] = [];
  readonly record = (request: RequestRecord): void => {
    this.requests.push(request);
  };
  count(method: string, path: string): number {
    return this.requests.filter((r) => r.method === method && r.path === path).length;
  }
}

interface Fixtures {
  webDist: string;
  /** An in-process coordinator serving the built page, with its traffic recorded; closed after the test. */
  grid: { coordinator: Coordinator; traffic: Traffic };
}

export const test = base.extend<{ grid: Fixtures['grid'] }, { webDist: string }>({
  webDist: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright requires the fixture argument to be destructured.
    async ({}, use) => {
      await use(await buildWeb());
    },
    { scope: 'worker' },
  ],
  grid: async ({ webDist }, use) => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { startCoordinator } = await import('@bricolage/coordinator');
    const dataDir = await mkdtemp(join(tmpdir(), 'bricolage-peers-'));
    const traffic = new Traffic();
    const coordinator = await startCoordinator({
      dataDir,
      webRoot: webDist,
      onRequest: traffic.record,
      log: (line) => console.error(`[coordinator] ${line}`),
    });
    await use({ coordinator, traffic });
    await coordinator.close();
    await rm(dataDir, { recursive: true, force: true });
  },
});
