// Getting one leased unit ready to compute: its job's signature checked (once a job announced), the backend it
// runs on chosen, its input taken from the lease or fetched by hash (checked against the hash either way), and
// its job prepared in the worker. The lease queue (lease-queue.ts) does this for the first few units it holds
// while others compute.
import type { BackendClass, Capabilities, LeasedJob, LeasedUnit } from '@bricolage/protocol';
import { fromBase64, sha256Hex } from '@bricolage/protocol';
import { leasedBackend } from '../capabilities';
import { backoffDelay } from '../client/backoff';
import type { ClientResult } from '../client/coordinator-client';
import type { JobCheck } from '../client/job-verifier';
import type { PrepareOutcome } from '../compute/api';
import type { VolunteerEvent } from '../events';
import type { ComputeErrorCode } from '../executors/executor';
import type { AssetSource } from '../host';

export interface Preparer {
  prepare(job: string, spec: LeasedJob['spec'], backend: BackendClass, assets: AssetSource): Promise<PrepareOutcome>;
}

export type Ready =
  | { readonly ok: true; readonly backend: BackendClass; readonly input: Uint8Array }
  | {
      readonly ok: false;
      readonly code: ComputeErrorCode | 'skip';
      readonly message: string;
      readonly backend?: BackendClass;
    };

export interface UnitReadierOptions {
  readonly blob: (hash: string) => Promise<ClientResult<Uint8Array>>;
  readonly compute: Preparer;
  readonly assets: AssetSource;
  readonly capabilities: () => Capabilities;
  /** Checks a job's signature before anything of it is fetched or run (client/job-verifier.ts). */
  readonly verify?: (job: LeasedJob) => Promise<JobCheck>;
  readonly emit: (event: VolunteerEvent) => void;
  readonly running: () => boolean;
  /** A sleep the owner can cut short (on stop). */
  readonly sleep: (ms: number) => Promise<void>;
}

/** Base64 as a coordinator sent it, or null where it is not (the pipeline goes on with the next unit). */
function decoded(text: string): Uint8Array | null {
  try {
    return fromBase64(text);
  } catch {
    return null;
  }
}

export class UnitReadier {
  readonly #o: UnitReadierOptions;
  /** Jobs whose signer was announced (each lease is checked; the event is sent once a job). */
  readonly #announced = new Set<string>();

  constructor(options: UnitReadierOptions) {
    this.#o = options;
  }

  /** Fetches the input and assets and prepares the job in the worker: all of it while another WU computes. */
  async ready(lease: LeasedUnit, job: LeasedJob): Promise<Ready> {
    if (this.#o.verify) {
      const checked = await this.#o.verify(job);
      if (!checked.ok)
        return { ok: false, code: checked.transient ? 'skip' : 'untrusted_job', message: checked.message };
      if (!this.#announced.has(job.id)) {
        this.#announced.add(job.id);
        this.#o.emit({ type: 'verified', job: job.id, project: job.project, signer: checked.signer });
      }
    }
    const choice = leasedBackend(job, this.#o.capabilities());
    if (!choice.ok) return { ok: false, code: 'unsupported', message: choice.why };
    const { backend } = choice;
    let input: Uint8Array;
    if (lease.inline !== undefined || lease.input !== null) {
      const carried = lease.inline ?? decoded(lease.input!);
      if (!carried) return { ok: false, code: 'runtime_error', message: 'the inline input is not base64', backend };
      input = carried;
      if ((await sha256Hex(input)) !== lease.inputHash)
        return { ok: false, code: 'runtime_error', message: 'the inline input does not match its hash', backend };
    } else {
      const fetched = await this.#fetchWithRetry(lease.inputHash);
      if (!fetched.ok) return fetched;
      input = fetched.bytes;
    }
    const prepared = await this.#o.compute.prepare(job.id, job.spec, backend, this.#o.assets);
    if (!prepared.ok) return { ...prepared, backend };
    return { ok: true, backend, input };
  }

  async #fetchWithRetry(hash: string): Promise<{ ok: true; bytes: Uint8Array } | (Ready & { ok: false })> {
    for (let attempt = 0; ; attempt++) {
      const blob = await this.#o.blob(hash);
      if (blob.ok) return { ok: true, bytes: blob.value };
      if (!blob.error.transient)
        return { ok: false, code: 'runtime_error', message: `input ${hash} unavailable: ${blob.error.message}` };
      // Offline or overloaded: give up quietly after a few tries and let the lease expire.
      if (attempt >= 4 || !this.#o.running())
        return { ok: false, code: 'skip', message: `input ${hash} unavailable: ${blob.error.message}` };
      await this.#o.sleep(backoffDelay(attempt));
    }
  }
}
