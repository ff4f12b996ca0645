// The Store the routes use, for every backend: each method one transaction over the backend's Persistence, running
// the work unit's steps (../steps) through the step runner (step-runner.ts: a fresh StepContext, what the steps
// decided written once at the end, the jobs they touched announced after the commit).
import {
  type Ban,
  type ExportBody,
  type ExportRequest,
  type Failure,
  fail,
  type ImportResponse,
  type JobId,
  type JobState,
  type LeaseNumber,
  ok,
  type Project,
  type ProjectId,
  type Result,
  type SubmitResponse,
  type VolunteerKey,
  type VolunteerStats,
} from '@bricolage/protocol';
import { type MerkleNodeStore, consistencyPath, inclusionPath, rootAt } from '../log/merkle-tree';
import { overStoredTree } from '../log/stored-tree';
import { writeChanges } from '../steps/write';
import { expireLeases } from '../steps/expire';
import { heartbeat } from '../steps/heartbeat';
import { releaseLeases } from '../steps/release';
import { progress, setJobState } from '../steps/jobs';
import { openFundedProject, pauseUnfunded } from '../steps/fund';
import { exportCredit, settleExport } from '../steps/export';
import { AlreadyImported, importCredits } from '../steps/import';
import { lease } from '../steps/lease';
import { markAlive, resumeLeases } from '../steps/restart';
import { consumeChallenge } from '../steps/sign-in';
import { submit } from '../steps/submit';
import { commitBatch, stageWorkUnits } from '../steps/upload';
import type { Persistence } from './persistence';
import { StepRunner, type StepRunnerOptions } from './step-runner';
import type { JobRecord } from './records';
import { jobActivity, volunteerStats } from './reports';
import type {
  BatchSummary,
  CommittedUpload,
  ExportSettlement,
  LeaseOutcome,
  HeartbeatAnswer,
  JobActivity,
  JobCounts,
  LeaseQuery,
  LogState,
  ResultRow,
  StagedWorkUnit,
  Store,
  StoredReceipt,
  SubmitItem,
  UploadKey,
} from './store';

/** Leases expired per transaction, so that a long outage's backlog does not make one huge transaction. */
const EXPIRE_PER_ROUND = 1000;
export interface CoordinatorStoreOptions extends StepRunnerOptions {
  /** A staged upload older than this was cut short by a crash (no request lives this long): the sweep drops it. */
  readonly staleUploadMs: number;
}

export class CoordinatorStore implements Store {
  readonly #db: Persistence;
  readonly #options: CoordinatorStoreOptions;
  readonly #run: StepRunner;

  constructor(db: Persistence, options: CoordinatorStoreOptions) {
    this.#db = db;
    this.#options = options;
    this.#run = new StepRunner(db, options);
  }

  get persistence(): Persistence {
    return this.#db;
  }

  /** Makes `key` the log's (the grid's) key, unless the log has another: then that one, and nothing changes. */
  claimLogKey(key: string): Promise<string | null> {
    return this.#run.claimLogKey(key);
  }

  onJobChange(listener: (job: JobId) => void): () => void {
    return this.#run.onJobChange(listener);
  }

  // ---- projects and blobs ----

  createProject(p: Project, tokenHash: string): Promise<void> {
    return this.#run.read((tx) => tx.insertProject(p, tokenHash));
  }

  openFundedProject(funder: VolunteerKey, fresh: Project, tokenHash: string): Promise<Project> {
    return this.#run.read((tx) => openFundedProject(tx, funder, fresh, tokenHash));
  }

  projectByTokenHash(tokenHash: string): Promise<Project | null> {
    return this.#run.read((tx) => tx.projectByTokenHash(tokenHash));
  }

  listProjects(): Promise<Project[]> {
    return this.#run.read((tx) => tx.projects());
  }

  getProject(id: ProjectId): Promise<Project | null> {
    return this.#run.read((tx) => tx.project(id));
  }

  embeddingOrigins(project: ProjectId): Promise<string[]> {
    return this.#run.read((tx) => tx.embeddingOrigins(project));
  }

  setEmbeddingOrigins(project: ProjectId, origins: readonly string[]): Promise<void> {
    return this.#run.read((tx) => tx.replaceEmbeddingOrigins(project, origins));
  }

  getBlob(hash: string): Promise<Uint8Array | null> {
    return this.#run.read((tx) => tx.blob(hash));
  }

  async hasBlob(hash: string): Promise<boolean> {
    return (await this.blobSize(hash)) !== null;
  }

  blobSize(hash: string): Promise<number | null> {
    return this.#run.read((tx) => tx.blobSize(hash));
  }

  // ---- jobs ----

  createJob(
    job: JobRecord,
    admit: (existing: readonly JobRecord[]) => Promise<Failure | null> = async () => null,
  ): Promise<Failure | null> {
    return this.#run.read(async (tx) => {
      await tx.lockProject(job.project);
      const problem = await admit(await this.#run.catalog.recordsOf(tx, job.project));
      // Not remembered here: the catalog reads the job back once, with its project's funder.
      if (problem === null) await tx.insertJob(job);
      return problem;
    });
  }

  getJob(id: JobId): Promise<JobRecord | null> {
    return this.#run.read((tx) => this.#run.catalog.record(tx, id));
  }

  listJobs(project: ProjectId): Promise<JobRecord[]> {
    return this.#run.read((tx) => this.#run.catalog.recordsOf(tx, project));
  }

  setJobState(id: JobId, state: JobState): Promise<JobState> {
    return this.#run.step(0, (ctx) => setJobState(ctx, id, state));
  }

  progress(id: JobId): Promise<JobCounts> {
    return this.#run.step(0, (ctx) => progress(ctx, id));
  }

  activity(id: JobId, limit: number): Promise<JobActivity> {
    return this.#run.read((tx) => jobActivity(tx, id, limit));
  }

  hasWorkFor(job: JobId, volunteer: VolunteerKey, backend: string, endedBy: readonly number[]): Promise<boolean> {
    return this.#run.read((tx) => tx.hasWorkFor(job, volunteer, backend, endedBy));
  }

  retakeOpensAt(
    job: JobId,
    volunteer: VolunteerKey,
    backend: string,
    now: number,
    endedBy: readonly number[],
  ): Promise<number | null> {
    return this.#run.read((tx) => tx.retakeOpensAt(job, volunteer, backend, now, endedBy));
  }

  // ---- work units ----

  stageWorkUnits(job: JobId, batch: string, units: readonly StagedWorkUnit[], now: number): Promise<void> {
    return this.#run.step(now, (ctx) => stageWorkUnits(ctx, job, batch, units));
  }

  commitBatch(
    job: JobId,
    batch: string,
    staged: number,
    now: number,
    key?: UploadKey & { readonly at: number },
  ): Promise<Result<CommittedUpload>> {
    // `now` is when the batch's known-answer units are finished (their results' time), as uploaded.
    return this.#run.step(now, (ctx) => commitBatch(ctx, job, batch, staged, key));
  }

  uploadByKey(job: JobId, key: string): Promise<(UploadKey & { readonly summary: BatchSummary }) | null> {
    return this.#run.read((tx) => tx.uploadKey(job, key));
  }

  abortBatch(_job: JobId, batch: string): Promise<void> {
    return this.#run.read((tx) => tx.dropBatch(batch));
  }

  // ---- volunteers ----

  lease(q: LeaseQuery, now: number): Promise<LeaseOutcome> {
    return this.#run.write(now, (ctx) => lease(ctx, q));
  }

  heartbeat(
    volunteer: VolunteerKey,
    leases: readonly LeaseNumber[],
    now: number,
    jobs: readonly JobId[] = [],
  ): Promise<HeartbeatAnswer> {
    return this.#run.write(now, (ctx) => heartbeat(ctx, volunteer, leases, jobs));
  }

  release(
    volunteer: VolunteerKey,
    leases: readonly LeaseNumber[],
    now: number,
    requests: readonly string[] = [],
  ): Promise<number> {
    return this.#run.write(now, (ctx) => releaseLeases(ctx, volunteer, leases, requests));
  }

  submit(volunteer: VolunteerKey, items: readonly SubmitItem[], now: number): Promise<Result<SubmitResponse>> {
    // A refused batch wrote nothing and writes nothing.
    return this.#run.write(
      now,
      (ctx) => submit(ctx, volunteer, items),
      (result) => result.ok,
    );
  }

  async expireLeases(now: number): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.#run.write(now, (ctx) => expireLeases(ctx, EXPIRE_PER_ROUND));
      total += n;
      if (n < EXPIRE_PER_ROUND) return total;
    }
  }

  lead(): Promise<boolean> {
    return this.#db.lead('sweep');
  }

  async sweep(now: number): Promise<number | null> {
    if (!(await this.#db.lead('sweep'))) return null;
    const expired = await this.expireLeases(now);
    await this.#run.step(now, (ctx) => pauseUnfunded(ctx));
    await this.#run.read((tx) => tx.dropStagedBatches(now - this.#options.staleUploadMs));
    await this.#run.read((tx) => tx.pruneLeaseRequests(now));
    await this.markAlive(now);
    return expired;
  }

  markAlive(now: number): Promise<void> {
    return this.#run.read((tx) => markAlive(tx, now));
  }

  resumeLeases(now: number, graceMs = 0): Promise<{ readonly downtimeMs: number; readonly extended: number }> {
    return this.#run.read((tx) => resumeLeases(tx, now, graceMs));
  }

  async importCredits(
    holder: VolunteerKey,
    receipts: readonly ExportBody[],
    now: number,
  ): Promise<Result<ImportResponse>> {
    try {
      return ok(await this.#run.write(now, (ctx) => importCredits(ctx, holder, receipts)));
    } catch (e) {
      // Thrown so that the transaction's claims roll back; a value from here on.
      if (e instanceof AlreadyImported) return fail('conflict', e.message, e.position);
      throw e;
    }
  }

  exportCredit(
    holder: VolunteerKey,
    request: ExportRequest,
    honoured: readonly string[],
    now: number,
  ): Promise<Result<number>> {
    return this.#run.step(now, async (ctx): Promise<Result<number>> => {
      const decided = await exportCredit(ctx, holder, request, honoured);
      if (decided.kind === 'refused') return { ok: false, error: decided.failure };
      if (decided.kind === 'repeated') return ok(decided.index);
      const index = (await writeChanges(ctx)).firstEntry as number;
      // In the debit's transaction: a crash keeps both or neither.
      const { to, amount, requestId } = request;
      if (requestId !== undefined)
        await ctx.tx.insertExportRequest({ volunteer: holder, requestId, to, amount, index, at: now });
      return ok(index);
    });
  }

  settleExportRequest(holder: VolunteerKey, requestId: string, now: number): Promise<ExportSettlement> {
    return this.#run.step(now, (ctx) => settleExport(ctx, holder, requestId));
  }

  volunteerStats(volunteer: VolunteerKey): Promise<VolunteerStats> {
    return this.#run.read((tx) => volunteerStats(tx, volunteer));
  }

  isVolunteer(volunteer: VolunteerKey): Promise<boolean> {
    return this.#run.read((tx) => tx.isVolunteer(volunteer));
  }

  async banVolunteer(
    volunteer: VolunteerKey,
    reason: string,
    now: number,
  ): Promise<{ readonly ban: Ban; readonly released: number }> {
    const { ban, released } = await this.#run.read(async (tx) => {
      await tx.putBan(volunteer, reason, now);
      // Due at once: the expiry below (or, after a crash, the next sweep) ends them as it ends any late lease.
      const released = await tx.endLeasesOf(volunteer, now);
      return { ban: (await tx.ban(volunteer)) as Ban, released };
    });
    await this.expireLeases(now);
    return { ban, released };
  }

  unbanVolunteer(volunteer: VolunteerKey): Promise<boolean> {
    return this.#run.read((tx) => tx.deleteBan(volunteer));
  }

  banOf(volunteer: VolunteerKey): Promise<Ban | null> {
    return this.#run.read((tx) => tx.ban(volunteer));
  }

  bans(): Promise<Ban[]> {
    return this.#run.read((tx) => tx.bans());
  }

  consumeChallenge(
    nonce: string,
    volunteer: VolunteerKey,
    expiresAt: number,
    now: number,
    from: { readonly address: string; readonly bucket: string },
  ): Promise<boolean> {
    return this.#run.read((tx) => consumeChallenge(tx, nonce, volunteer, expiresAt, now, from));
  }

  // ---- results and the log ----

  results(job: JobId, after: number, limit: number): Promise<ResultRow[]> {
    return this.#run.read((tx) => tx.results(job, after, limit));
  }

  receiptsFor(volunteer: VolunteerKey, after: number, limit: number): Promise<StoredReceipt[]> {
    return this.#run.read((tx) => tx.receiptsFor(volunteer, after, limit));
  }

  receiptsBetween(start: number, end: number): Promise<StoredReceipt[]> {
    return this.#run.read((tx) => tx.receiptsBetween(start, end));
  }

  setReceiptSignatures(signatures: ReadonlyMap<number, string>): Promise<void> {
    return this.#run.read((tx) => tx.setReceiptSignatures(signatures));
  }

  async logState(): Promise<LogState> {
    const head = await this.#run.read((tx) => tx.logHead());
    return { size: head.size, root: head.root, at: head.at };
  }

  async logSize(): Promise<number> {
    return (await this.logState()).size;
  }

  async logRoot(size: number): Promise<Uint8Array> {
    const head = await this.logState();
    if (size === head.size) return head.root;
    return this.#tree((store) => rootAt(store, size));
  }

  inclusionPath(index: number, size: number): Promise<Uint8Array[]> {
    return this.#tree((store) => inclusionPath(store, index, size));
  }

  consistencyPath(from: number, to: number): Promise<Uint8Array[]> {
    return this.#tree((store) => consistencyPath(store, from, to));
  }

  #tree<T>(compute: (store: MerkleNodeStore) => T): Promise<T> {
    return overStoredTree((work) => this.#run.read(work), compute);
  }

  // ---- meta ----

  getMeta(key: string): Promise<Uint8Array | null> {
    return this.#run.read((tx) => tx.meta(key));
  }

  deleteMeta(key: string): Promise<void> {
    return this.#db.deleteMeta(key);
  }

  close(): Promise<void> {
    return this.#db.close();
  }
}
