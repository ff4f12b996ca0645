// A real coordinator on loopback serving the harness page, plus the researcher's side of the HTTP API
// (blobs, jobs, NDJSON work units, progress, results) for the browser tests to drive.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCoordinator } from '@bricolage/coordinator';
import {
  API,
  type CreateJobRequest,
  type JobProgress,
  type ResultLine,
  sha256Hex,
  toBase64,
} from '@bricolage/protocol';
import { HARNESS_DIST } from './harness';

export interface WorkUnitSpec {
  readonly input: Uint8Array;
  readonly tag?: string;
  readonly expected?: Uint8Array;
}

export interface JobBundleLike {
  readonly request: CreateJobRequest;
  readonly blobs: readonly Uint8Array[];
}

export class Researcher {
  /** Jobs created and not yet cancelled, so a test can leave no work behind for the next one. */
  readonly #jobs = new Set<string>();

  constructor(
    readonly url: string,
    readonly token: string,
  ) {}

  async #fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(this.url + path, {
      ...init,
      headers: { authorization: `Bearer ${this.token}`, ...(init.headers ?? {}) },
    });
    if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${await response.text()}`);
    return response;
  }

  async putBlob(bytes: Uint8Array): Promise<string> {
    const hash = await sha256Hex(bytes);
    await this.#fetch(API.blob(hash), { method: 'PUT', body: bytes as Uint8Array<ArrayBuffer> });
    return hash;
  }

  /** Uploads the bundle's blobs and creates its job (with `overrides` applied); returns the job id. */
  async createJob(bundle: JobBundleLike, overrides: Partial<CreateJobRequest> = {}): Promise<string> {
    for (const blob of bundle.blobs) await this.putBlob(blob);
    const response = await this.#fetch(API.jobs, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...bundle.request, ...overrides }),
    });
    const id = ((await response.json()) as { id: string }).id;
    this.#jobs.add(id);
    return id;
  }

  async cancel(job: string): Promise<void> {
    await this.#fetch(API.cancel(job), { method: 'POST' });
    this.#jobs.delete(job);
  }

  /** Cancels every job this researcher created that is still open, so no work units are left to lease. */
  async cancelAll(): Promise<void> {
    for (const job of [...this.#jobs]) await this.cancel(job);
  }

  async addWorkUnits(job: string, units: Iterable<WorkUnitSpec>): Promise<number> {
    let body = '';
    for (const u of units)
      body += `${JSON.stringify({
        input: toBase64(u.input),
        ...(u.tag ? { tag: u.tag } : {}),
        ...(u.expected ? { expected: toBase64(u.expected) } : {}),
      })}\n`;
    const response = await this.#fetch(API.workUnits(job), {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    });
    return ((await response.json()) as { added: number }).added;
  }

  async progress(job: string): Promise<JobProgress> {
    const response = await this.#fetch(API.job(job));
    return ((await response.json()) as { progress: JobProgress }).progress;
  }

  async results(job: string): Promise<ResultLine[]> {
    const text = await (await this.#fetch(API.results(job))).text();
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as ResultLine);
  }
}

export interface Grid {
  readonly url: string;
  readonly researcher: Researcher;
  /** The paths of the GET requests the coordinator received, in order. */
  readonly gets: string[];
  close(): Promise<void>;
}

/** Starts a coordinator with a fresh data directory, serving the harness page, with one project. */
export async function startGrid(): Promise<Grid> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bricolage-e2e-'));
  const gets: string[] = [];
  const coordinator = await startCoordinator({
    dataDir,
    webRoot: HARNESS_DIST,
    onRequest: (r) => {
      if (r.method === 'GET') gets.push(r.path);
    },
    log: (message) => console.error(`[coordinator] ${message}`),
  });
  const { token } = await coordinator.createProject('e2e runtime');
  return {
    url: coordinator.url,
    researcher: new Researcher(coordinator.url, token),
    gets,
    close: async () => {
      await coordinator.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
