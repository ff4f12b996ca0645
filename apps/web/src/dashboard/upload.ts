// One upload of work units to a job: checked whole first, then sent in batches, each committed by the
// coordinator all or nothing under its own Idempotency-Key (`<upload id>:<batch>`). A cut connection stops
// it as "interrupted"; Resume sends the batches not yet acknowledged, the one that was in flight again under
// the same key, so that a batch the coordinator had committed before the cut is not added twice. How far an
// upload got is kept in sessionStorage, so choosing the same files again after a reload resumes it too.
import type { ApiFailure, ResearcherApi } from './api';
import type { Batch, UnitShape, InputSource } from './inputs';

export type UploadState = 'idle' | 'checking' | 'uploading' | 'done' | 'cancelled' | 'interrupted' | 'refused';

export interface UploadProgress {
  readonly state: UploadState;
  /** Work units the coordinator has committed, of those checked (null before the check). */
  readonly units: { readonly sent: number; readonly total: number | null };
  /** Source bytes sent (the batch in flight counted as its request body goes), of the source's size. */
  readonly bytes: { readonly sent: number; readonly total: number };
  /** Batches the coordinator answered "already committed" (a resumed batch that had arrived before a cut). */
  readonly replayed: number;
  /** Where this upload resumed from, in units, when it did. */
  readonly resumedFrom: number | null;
  readonly message: string | null;
}

/** How far an upload got, kept between page loads. */
interface Checkpoint {
  readonly id: string;
  readonly batches: number;
  readonly units: number;
  readonly bytes: number;
}

export interface UploadOptions {
  readonly storage?: Storage;
  /** Bytes per batch request at most (whole units). */
  readonly maxBatchBytes?: number;
  /** A fresh upload id (tests pass a fixed one). */
  readonly newId?: () => string;
}

/** Around twenty batches for an upload (so progress moves and a cut costs little), 100 to 5,000 units each. */
export const unitsPerBatch = (units: number): number => Math.max(100, Math.min(5000, Math.ceil(units / 20)));

const checkpointKey = (job: string, source: InputSource) => `bricolage:upload:${job}:${source.fingerprint}`;

/** The coordinator numbers the lines of one request; a person wants the line of their file. */
export function inFileTerms(failure: ApiFailure, batch: Batch, label: string): string {
  const m = /^line (\d+): (.*)$/s.exec(failure.message);
  const line = m && batch.lines ? batch.lines[Number(m[1]) - 1] : undefined;
  if (m && line !== undefined) return `${label} line ${line}: ${m[2]}`;
  if (m) return `work unit ${batch.before + Number(m[1])} of ${label}: ${m[2]}`;
  return failure.message;
}

export class Upload {
  readonly #api: ResearcherApi;
  readonly #job: string;
  readonly #source: InputSource;
  readonly #shape: UnitShape;
  readonly #storage: Storage;
  readonly #maxBatchBytes: number;
  readonly #newId: () => string;
  readonly #listeners = new Set<(p: UploadProgress) => void>();
  #controller: AbortController | null = null;
  #progress: UploadProgress;

  constructor(api: ResearcherApi, job: string, source: InputSource, shape: UnitShape, options: UploadOptions = {}) {
    this.#api = api;
    this.#job = job;
    this.#source = source;
    this.#shape = shape;
    this.#storage = options.storage ?? sessionStorage;
    this.#maxBatchBytes = options.maxBatchBytes ?? 8 << 20;
    this.#newId = options.newId ?? (() => crypto.randomUUID());
    const saved = this.#checkpoint();
    this.#progress = {
      state: 'idle',
      units: { sent: saved?.units ?? 0, total: null },
      bytes: { sent: saved?.bytes ?? 0, total: source.bytes },
      replayed: 0,
      resumedFrom: saved ? saved.units : null,
      message: null,
    };
  }

  get progress(): UploadProgress {
    return this.#progress;
  }

  /** Whether an earlier upload of the same files to this job stopped part way (it resumes from there). */
  get resumable(): boolean {
    return this.#checkpoint() !== null;
  }

  subscribe(listener: (p: UploadProgress) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  cancel(): void {
    this.#controller?.abort();
  }

  /** Checks the source, then sends every batch not yet committed. Resolves with the final progress. */
  async run(): Promise<UploadProgress> {
    if (this.#controller) return this.#progress;
    const controller = new AbortController();
    this.#controller = controller;
    try {
      return await this.#run(controller.signal);
    } finally {
      this.#controller = null;
    }
  }

  async #run(signal: AbortSignal): Promise<UploadProgress> {
    this.#set({ state: 'checking', message: null, replayed: 0 });
    const checked = await this.#source.check(this.#shape, signal);
    if (signal.aborted) return this.#set({ state: 'cancelled', message: 'cancelled before anything was sent' });
    if (!checked.ok) return this.#set({ state: 'refused', message: checked.error.message });
    const total = checked.value;
    let saved = this.#checkpoint();
    if (!saved) {
      saved = { id: this.#newId(), batches: 0, units: 0, bytes: 0 };
      this.#save(saved);
    }
    this.#set({
      state: 'uploading',
      units: { sent: saved.units, total },
      bytes: { sent: saved.bytes, total: this.#source.bytes },
      resumedFrom: saved.units > 0 ? saved.units : null,
    });

    let replayed = 0;
    for await (const batch of this.#source.batches(unitsPerBatch(total), this.#maxBatchBytes)) {
      if (batch.index < saved.batches) continue;
      if (signal.aborted) break;
      const at = saved;
      const reply = await this.#api.addWorkUnits(
        this.#job,
        batch.body,
        `${saved.id}:${batch.index}`,
        (sent, size) => {
          const share = size > 0 ? Math.min(1, sent / size) : 0;
          this.#set({ bytes: { sent: at.bytes + Math.round(batch.sourceBytes * share), total: this.#source.bytes } });
        },
        signal,
      );
      if (!reply.ok) {
        this.#set({ bytes: { sent: saved.bytes, total: this.#source.bytes } });
        if (reply.error.code === 'cancelled') break;
        const where = `after ${saved.units.toLocaleString()} of ${total.toLocaleString()} work units`;
        // No answer, or the coordinator failing: the batch may or may not have been committed; its key makes
        // sending it again safe. A 4xx is the coordinator refusing the batch: sending it again would not help.
        if (reply.error.status === 0 || reply.error.status >= 500)
          return this.#set({
            state: 'interrupted',
            message: `The upload stopped ${where}: ${reply.error.message}. Resume sends the rest; the batch that was on its way goes again under the same key, so the coordinator adds it once even if it had arrived.`,
          });
        return this.#set({
          state: 'refused',
          message: `The coordinator refused batch ${batch.index + 1} (${where}): ${inFileTerms(reply.error, batch, this.#source.label)}`,
        });
      }
      if (reply.value.replayed) replayed++;
      saved = {
        id: saved.id,
        batches: batch.index + 1,
        units: saved.units + batch.units,
        bytes: saved.bytes + batch.sourceBytes,
      };
      this.#save(saved);
      this.#set({
        units: { sent: saved.units, total },
        bytes: { sent: saved.bytes, total: this.#source.bytes },
        replayed,
      });
    }
    if (signal.aborted)
      return this.#set({
        state: 'cancelled',
        message: `Cancelled: ${saved.units.toLocaleString()} of ${total.toLocaleString()} work units were added; Resume sends the rest.`,
      });
    this.#storage.removeItem(checkpointKey(this.#job, this.#source));
    return this.#set({ state: 'done', message: null });
  }

  #checkpoint(): Checkpoint | null {
    const text = this.#storage.getItem(checkpointKey(this.#job, this.#source));
    if (!text) return null;
    try {
      return JSON.parse(text) as Checkpoint;
    } catch {
      return null;
    }
  }

  #save(c: Checkpoint): void {
    this.#storage.setItem(checkpointKey(this.#job, this.#source), JSON.stringify(c));
  }

  #set(change: Partial<UploadProgress>): UploadProgress {
    this.#progress = { ...this.#progress, ...change };
    for (const l of this.#listeners) l(this.#progress);
    return this.#progress;
  }
}
