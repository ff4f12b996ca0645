// What the coordinator asks of its storage: each method one state change (or one read) in one transaction.
// One implementation (coordinator-store.ts) runs the work unit's state machine (../steps) over either
// backend's Persistence (persistence.ts); the routes see only this.
import type {
  Ban,
  BackendClass,
  Capabilities,
  JobId,
  JobState,
  LeaseNumber,
  Project,
  ProjectId,
  ReceiptBody,
  ReplicaState,
  ExportBody,
  ExportRequest,
  ImportResponse,
  SubmitResponse,
  VolunteerKey,
  VolunteerStats,
  WorkUnitCounts,
  WorkUnitNumber,
} from '@bricolage/protocol';
import type { Failure, Result } from '@bricolage/protocol';
import type { JobRecord } from './records';

export type { JobRecord } from './records';

/** What settling an export request comes to: the export made under it (its log index), or closed: none was, and none will be. */
export type ExportSettlement = { readonly kind: 'exported'; readonly index: number } | { readonly kind: 'closed' };

export interface JobCounts {
  /** Units by state as the results show them: a known answer found suspect is one of `failed`. */
  readonly counts: WorkUnitCounts;
  /** Known-answer work units still judging (not found suspect): their results are their expected outputs. */
  readonly knownAnswer: number;
  /** Known answers found suspect (rules/known-answers.ts), counted in `counts.failed`: their expected output is likely wrong. */
  readonly suspectAnswers: number;
  readonly credit: number;
  /** Work units that want another replica now. */
  readonly wanting: number;
  /** Replicas issued beyond each work unit's quorum. */
  readonly reissued: number;
  /** Why its funder cannot pay for another replica (a volunteer-funded job), or null. */
  readonly unfunded: string | null;
}

/** Volunteers' failures of one code on a job, with the latest one as an example. */
export interface ErrorRow {
  readonly code: string;
  readonly count: number;
  readonly workUnit: number;
  readonly message: string;
}

/** What a job's replicas are doing and did (known-answer units included). */
export interface JobActivity {
  /** Distinct volunteers holding a lease of the job now. */
  readonly activeVolunteers: number;
  readonly issued: number;
  readonly valid: number;
  readonly invalid: number;
  /** Error results and expired leases. */
  readonly errors: number;
  /** Leases given back uncomputed, and leases the grid withdrew. */
  readonly givenBack: number;
  readonly withdrawn: number;
  /** The `limit` most frequent failure codes, most frequent first. */
  readonly errorCodes: readonly ErrorRow[];
}

export interface StagedWorkUnit {
  readonly input: Uint8Array;
  readonly inputHash: string;
  readonly expected: Uint8Array | null;
  readonly expectedHash: string | null;
  readonly tag: string | null;
}

export interface BatchSummary {
  readonly added: number;
  readonly knownAnswer: number;
  readonly first: number | null;
  readonly last: number | null;
}

/** A client's name for one upload (its Idempotency-Key), and the SHA-256 of the body sent under it. */
export interface UploadKey {
  readonly key: string;
  readonly bodyHash: string;
}

/** Why an upload under a key already used for another body adds nothing: for every store and the route. */
export const uploadKeyReused = (key: string): Failure => ({
  code: 'conflict',
  message: `Idempotency-Key ${JSON.stringify(key)} was already used for an upload with another body; nothing was added`,
});

export interface CommittedUpload {
  readonly summary: BatchSummary;
  /** True when an earlier upload under the same key had committed: this one added nothing. */
  readonly replayed: boolean;
}

export interface GrantedLease {
  readonly lease: LeaseNumber;
  readonly workUnit: WorkUnitNumber;
  readonly job: JobId;
  /** The backend chosen for this device and job (every lease of one job in one answer has the same). */
  readonly backend: BackendClass;
  readonly deadline: number;
  readonly inputHash: string;
  readonly input: Uint8Array | null;
  /** The work unit's tag; null for a known-answer unit, whose tag would tell it apart. */
  readonly tag: string | null;
}

/** Why a lease request got nothing, as the lease step saw it (so that the route need not guess). */
export type NoLease =
  /** The key holds all the leases it may; its own results in flight free room within moments. */
  | { readonly why: 'full' }
  /** Its error results spent its allowance (rules/error-budget.ts): nothing until `until`. */
  | { readonly why: 'out_of_allowance'; readonly until: number }
  /** It stopped voting (rules/reputation.ts): its results would be set aside. */
  | { readonly why: 'not_voting' }
  /** Nothing it can run and may hold wants a replica now. */
  | { readonly why: 'no_work' };

export interface LeaseOutcome {
  readonly granted: readonly GrantedLease[];
  /** Why none were granted; null when some were. */
  readonly none: NoLease | null;
  /**
   * The jobs `granted` names, as the answer describes them: definitions never change, so the step's own reading
   * serves (the route read each again, a transaction of its own, before the answer could go).
   */
  readonly jobs: readonly Omit<JobRecord, 'state'>[];
  /** On a resume: how many of `granted`, at the front, the key held already. */
  readonly resumed?: number;
  /** On a resume that could not carry back all the key holds: the last lease it carried back. */
  readonly resumeNext?: LeaseNumber;
}

export interface LeaseQuery {
  readonly volunteer: VolunteerKey;
  readonly capabilities: Capabilities;
  readonly max: number;
  readonly project?: ProjectId;
  /**
   * A page starting afresh: the key's open leases after `after` (0: all) of active jobs of these projects (null:
   * any) that the device runs on the backend they were leased for come back first (steps/lease.ts).
   */
  readonly resume?: { readonly after: LeaseNumber | 0; readonly projects: readonly ProjectId[] | null };
  /** The page's name for this request (LeaseRequest.request): what it is granted is kept under it (steps/lease-requests.ts). */
  readonly request?: string;
}

export type SubmitItem =
  | {
      readonly kind: 'ok';
      readonly lease: LeaseNumber;
      readonly output: Uint8Array;
      readonly outputHash: string;
      readonly backend: BackendClass;
    }
  | { readonly kind: 'error'; readonly lease: LeaseNumber; readonly code: string; readonly message: string };

export interface ResultRow {
  readonly cursor: number;
  readonly workUnit: WorkUnitNumber;
  readonly tag: string | null;
  readonly state: 'validated' | 'failed';
  readonly outputHash: string | null;
  readonly output: Uint8Array | null;
  readonly reason: string | null;
  readonly at: number;
  /** A known-answer unit: its result is the answer its researcher gave (never public: results-stream.ts). */
  readonly knownAnswer: boolean;
}

export interface StoredReceipt {
  readonly index: number;
  readonly body: ReceiptBody;
  readonly bodyJson: string;
  readonly signature: string | null;
}

export interface HeartbeatRow {
  readonly lease: LeaseNumber;
  readonly deadline: number | null;
  /** `leased` (renewed to `deadline`), how it ended (its replica state), or `unknown`: not the key's lease. */
  readonly state: ReplicaState | 'unknown';
}

/** A heartbeat's answer: one row per lease named, and the key's leases of withdrawn jobs it ended besides. */
export interface HeartbeatAnswer {
  readonly leases: readonly HeartbeatRow[];
  readonly withdrawn: readonly LeaseNumber[];
}

/** The log's head as every coordinator of one grid signs it: the same size gives the same bytes. */
export interface LogState {
  readonly size: number;
  readonly root: Uint8Array;
  /** When the log last grew (the time of the tree head, so that each process signs the same head). */
  readonly at: number;
}

export interface Store {
  /**
   * The coordinator's public key, written into every receipt body. Makes `key` the key this store's log is signed with, recorded for the coordinators that open it later; null,
   * or the key the log already has when that is another (nothing changes then).
   */
  claimLogKey(key: string): Promise<string | null>;

  // projects and blobs
  createProject(p: Project, tokenHash: string): Promise<void>;
  /**
   * The funder's personal project with a new token (`tokenHash`): `fresh` is created when the key has none;
   * the project it already has otherwise, whose old token stops working.
   */
  openFundedProject(funder: VolunteerKey, fresh: Project, tokenHash: string): Promise<Project>;
  projectByTokenHash(tokenHash: string): Promise<Project | null>;
  listProjects(): Promise<Project[]>;
  getProject(id: ProjectId): Promise<Project | null>;
  /** The host origins that may embed the project's widget, sorted. */
  embeddingOrigins(project: ProjectId): Promise<string[]>;
  /** Replaces the project's list of embedding origins in one transaction. */
  setEmbeddingOrigins(project: ProjectId, origins: readonly string[]): Promise<void>;
  /** Blobs kept in the database: work-unit inputs, and assets uploaded before the blob store (../blobs). */
  getBlob(hash: string): Promise<Uint8Array | null>;
  hasBlob(hash: string): Promise<boolean>;
  /** The blob's length in bytes, or null when there is no such blob. */
  blobSize(hash: string): Promise<number | null>;

  // jobs
  /**
   * Creates the job if `admit` (given the project's jobs, read in the same transaction, the project held) finds
   * no problem with it; returns that problem otherwise, and creates nothing.
   */
  createJob(
    job: JobRecord,
    admit?: (existing: readonly JobRecord[]) => Promise<Failure | null>,
  ): Promise<Failure | null>;
  getJob(id: JobId): Promise<JobRecord | null>;
  listJobs(project: ProjectId): Promise<JobRecord[]>;
  /** Sets the state; a job made active with every work unit finished becomes `completed`. Returns the state set. */
  setJobState(id: JobId, state: JobState): Promise<JobState>;
  progress(id: JobId): Promise<JobCounts>;
  /** The job's replicas: volunteers holding its leases, results by verdict, failures by code (at most `limit`). */
  activity(id: JobId, limit: number): Promise<JobActivity>;
  /**
   * Whether the volunteer could be leased a work unit of the job now, on this backend class: one it never held, or
   * one it may retake (`endedBy`, rules/assignment.ts retakeEndedBy).
   */
  hasWorkFor(job: JobId, volunteer: VolunteerKey, backend: string, endedBy: readonly number[]): Promise<boolean>;
  /** When the first unit of the job opens to the volunteer to retake (`endedBy` as of `now`), or null if none will. */
  retakeOpensAt(
    job: JobId,
    volunteer: VolunteerKey,
    backend: string,
    now: number,
    endedBy: readonly number[],
  ): Promise<number | null>;
  /** Calls `listener` after any coordinator of this grid committed a change to a job's work units or state. */
  onJobChange(listener: (job: JobId) => void): () => void;

  // work units: staged in chunks, made visible all at once, so a broken upload adds nothing
  /** Stages a chunk of an upload begun at about `now` (a crash's leftovers are told apart by their age). */
  stageWorkUnits(job: JobId, batch: string, units: readonly StagedWorkUnit[], now: number): Promise<void>;
  /**
   * Makes the batch visible if all `staged` of its rows are still there; otherwise (`conflict`) commits
   * nothing, so an upload is never silently cut short. Under a key already committed for this job, drops
   * the batch and answers with that upload's summary (the same body) or `conflict` (another body).
   */
  commitBatch(
    job: JobId,
    batch: string,
    staged: number,
    now: number,
    key?: UploadKey & { readonly at: number },
  ): Promise<Result<CommittedUpload>>;
  /** The upload committed under `key` for this job, if any. */
  uploadByKey(job: JobId, key: string): Promise<(UploadKey & { readonly summary: BatchSummary }) | null>;
  abortBatch(job: JobId, batch: string): Promise<void>;

  // volunteers
  lease(q: LeaseQuery, now: number): Promise<LeaseOutcome>;
  /** Renews these leases of the key's; ends its leases of those `jobs` the grid withdrew whole (steps/heartbeat.ts). */
  heartbeat(
    volunteer: VolunteerKey,
    leases: readonly LeaseNumber[],
    now: number,
    jobs?: readonly JobId[],
  ): Promise<HeartbeatAnswer>;
  /**
   * Gives back the key's open leases among these and those granted under its lease `requests`, which are given up
   * (steps/release.ts); returns how many were.
   */
  release(
    volunteer: VolunteerKey,
    leases: readonly LeaseNumber[],
    now: number,
    requests?: readonly string[],
  ): Promise<number>;
  submit(volunteer: VolunteerKey, items: readonly SubmitItem[], now: number): Promise<Result<SubmitResponse>>;
  /** Whether this coordinator is the one of its grid that sweeps (always, alone on SQLite). */
  lead(): Promise<boolean>;
  /** Expired leases back into the queue; returns how many. */
  expireLeases(now: number): Promise<number>;
  /**
   * The sweeper's round, done by one coordinator of the grid at a time: expired leases back into the queue,
   * uploads a crash cut short dropped, and the grid recorded as alive at `now`. Null when another
   * coordinator does it.
   */
  sweep(now: number): Promise<number | null>;
  /** Records that the grid is running at `now` (the last act of a clean stop). */
  markAlive(now: number): Promise<void>;
  /**
   * At start, before any lease expires: the leases that were live when the grid was last alive get
   * the time it was down added to their deadlines, as if the clock had stopped with it.
   */
  /**
   * Gives the leases live when the grid stopped the time it was down, plus `graceMs` for their volunteers to
   * find it back; once per downtime.
   */
  resumeLeases(now: number, graceMs?: number): Promise<{ readonly downtimeMs: number; readonly extended: number }>;
  volunteerStats(volunteer: VolunteerKey): Promise<VolunteerStats>;
  /**
   * Credits `holder` with other grids' exports to this one, verified by the caller: all of them, or none when one
   * was credited here before (`conflict`, naming it).
   */
  importCredits(holder: VolunteerKey, receipts: readonly ExportBody[], now: number): Promise<Result<ImportResponse>>;
  /**
   * Moves `amount` of `holder`'s credit to the grid whose log is `to`: a debit, as an entry of the log, whose index
   * is the value. `conflict` when the volunteer may not spend that much here. With a `requestId` this key used
   * before for the same `to` and amount, the index of that export's entry, nothing moved; used for another,
   * `conflict`.
   */
  /** `honoured`: the grids' logs credit may move to (HONOURED_LOGS). */
  exportCredit(
    holder: VolunteerKey,
    request: ExportRequest,
    honoured: readonly string[],
    now: number,
  ): Promise<Result<number>>;
  /**
   * Settles `holder`'s export request `requestId` (steps/export.ts settleExport): the index of the export entry made
   * under it, or closed: none was, and an export under it is refused from now on.
   */
  settleExportRequest(holder: VolunteerKey, requestId: string, now: number): Promise<ExportSettlement>;
  /** Whether this key has ever traded a challenge for a token. */
  isVolunteer(volunteer: VolunteerKey): Promise<boolean>;

  // the operator's ban list: a banned key gets no token and no answer but 403
  /**
   * Bans the key (or updates the reason of its ban) and ends its open leases, in one transaction: they expire
   * as a lease that ran out does, and their units go back to the queue. Returns how many were open.
   */
  banVolunteer(
    volunteer: VolunteerKey,
    reason: string,
    now: number,
  ): Promise<{ readonly ban: Ban; readonly released: number }>;
  /** Lifts a ban; false when the key was not banned. */
  unbanVolunteer(volunteer: VolunteerKey): Promise<boolean>;
  /** The ban of this key, or null. */
  banOf(volunteer: VolunteerKey): Promise<Ban | null>;
  bans(): Promise<Ban[]>;
  /**
   * Records the nonce of a (stateless, already verified) challenge as used, and the volunteer as known, coming
   * from `from` (its origin, for replica separation); false when it was used before. Records are kept until
   * `expiresAt`, after which the challenge is refused anyway.
   */
  consumeChallenge(
    nonce: string,
    volunteer: VolunteerKey,
    expiresAt: number,
    now: number,
    from: { readonly address: string; readonly bucket: string },
  ): Promise<boolean>;

  // results and the receipt log
  results(job: JobId, after: number, limit: number): Promise<ResultRow[]>;
  receiptsFor(volunteer: VolunteerKey, after: number, limit: number): Promise<StoredReceipt[]>;
  /** Receipts [start, end) of the log. */
  receiptsBetween(start: number, end: number): Promise<StoredReceipt[]>;
  setReceiptSignatures(signatures: ReadonlyMap<number, string>): Promise<void>;
  logState(): Promise<LogState>;
  logSize(): Promise<number>;
  logRoot(size: number): Promise<Uint8Array>;
  inclusionPath(index: number, size: number): Promise<Uint8Array[]>;
  consistencyPath(from: number, to: number): Promise<Uint8Array[]>;

  // facts about the store itself; earlier releases also kept the coordinator's secrets here
  getMeta(key: string): Promise<Uint8Array | null>;
  /** Removes an entry and overwrites its bytes in the file, so that a secret moved elsewhere leaves no copy. */
  deleteMeta(key: string): Promise<void>;

  close(): Promise<void>;
}
