// The narrow interface every storage backend implements: rows in, rows out, no decisions. The work unit's
// state machine (../steps) runs over it, one transaction object passed explicitly to every step, so that
// SQLite and Postgres share every rule and differ only in SQL. Set-shaped where a step touches many rows
// (a batch of 200 results is a handful of statements on Postgres, not a thousand round trips).
import type {
  Ban,
  JobId,
  JobState,
  LeaseNumber,
  Project,
  ProjectId,
  VolunteerKey,
  WorkUnitNumber,
} from '@bricolage/protocol';
import type { Broadcast } from '../broadcast/broadcast';
import type {
  FailureRow,
  Candidate,
  HeldLease,
  JobDelta,
  JobRecord,
  JobTotals,
  LogHead,
  MerkleNode,
  NewReceipt,
  NewReplica,
  ReplicaChange,
  ReplicaInContext,
  ReplicaRecord,
  ProbeResult,
  ReturnedRow,
  DecidedUnit,
  StoredWorkUnitState,
  VolunteerDelta,
  ImportClaim,
  ExportRequestRecord,
  VolunteerRecord,
  UnitHolder,
  RetakeUnit,
  WindowUnits,
  WorkUnitChange,
} from './records';
import type { BatchSummary, ResultRow, StagedWorkUnit, StoredReceipt, UploadKey } from './store';

export interface ProjectRows {
  insertProject(p: Project, tokenHash: string): Promise<void>;
  /**
   * Holds the project until the transaction ends, so that a check of its jobs and the insert it admits are not
   * interleaved with another's (two first signed jobs, by two keys). SQLite's transactions run one at a time.
   */
  lockProject(id: ProjectId): Promise<void>;
  projectByTokenHash(tokenHash: string): Promise<Project | null>;
  projects(): Promise<Project[]>;
  project(id: ProjectId): Promise<Project | null>;
  embeddingOrigins(project: ProjectId): Promise<string[]>;
  /** Makes `project` the personal project of `funder`, whose balance pays for its jobs. */
  insertProjectFunder(project: ProjectId, funder: VolunteerKey): Promise<void>;
  /** Replaces the project's token (the old one stops working). */
  setProjectTokenHash(project: ProjectId, tokenHash: string): Promise<void>;
  projectFundedBy(funder: VolunteerKey): Promise<ProjectId | null>;
  /** The volunteer key paying for the project's jobs, or null: an operator's project. */
  funderOf(project: ProjectId): Promise<VolunteerKey | null>;
  /**
   * Records other grids' receipts as credited here; returns those that were not already (a receipt is claimed
   * once, whichever transaction gets there first). `rows` name distinct receipts (steps/import.ts refuses repeats).
   */
  claimImports(rows: readonly ImportClaim[]): Promise<ImportClaim[]>;
  /** The export this key made with `requestId`, or null. Read under the key's row lock (`lockVolunteer`). */
  exportRequest(volunteer: VolunteerKey, requestId: string): Promise<ExportRequestRecord | null>;
  /**
   * Records an export made with a requestId, in the transaction that made it; (volunteer, requestId) is a primary
   * key, so that a second record of one request fails the transaction rather than pass unnoticed.
   */
  insertExportRequest(row: ExportRequestRecord): Promise<void>;
  /** Whether this key settled `requestId` as not made (closeExportRequest). Read under the key's row lock. */
  exportRequestClosed(volunteer: VolunteerKey, requestId: string): Promise<boolean>;
  /**
   * Records that no export is ever made under this key's `requestId` (none was when it was settled), under the key's
   * row lock; (volunteer, requestId) is a primary key, so that closing one twice fails rather than pass unnoticed.
   */
  closeExportRequest(volunteer: VolunteerKey, requestId: string, at: number): Promise<void>;
  /**
   * Replicas of the jobs' units their funder may still be debited for (steps/fund.ts): those of each unfinished unit
   * not paid for yet (`issued − charged`), and those out on validated units (a late result or a re-check, paid for as
   * it comes back) and on known-answer units (a probe is debited once for each replica that passes).
   */
  unpaidReplicas(jobs: readonly JobId[]): Promise<number>;
  /**
   * Replicas the job's started units (one issued at least) still want before they can validate: what its funder's
   * balance keeps for them before it starts new units (rules/funding.ts). From an index of those units alone.
   */
  startedWant(job: JobId): Promise<number>;
  replaceEmbeddingOrigins(project: ProjectId, origins: readonly string[]): Promise<void>;
}

export interface BlobRows {
  blob(hash: string): Promise<Uint8Array | null>;
  blobSize(hash: string): Promise<number | null>;
  /** The bytes of each hash found (expected outputs of known-answer units). */
  blobs(hashes: readonly string[]): Promise<Map<string, Uint8Array>>;
}

export interface JobRows {
  insertJob(job: JobRecord): Promise<void>;
  /** Jobs by id; definitions are parsed once per process and cached by the caller. */
  jobState(id: JobId): Promise<{ readonly project: ProjectId; readonly state: JobState } | null>;
  jobIds(filter: { readonly project?: ProjectId; readonly state?: JobState }): Promise<JobId[]>;
  /** The stored definition as JSON text, parsed by the caller once. */
  jobDefinition(id: JobId): Promise<{ readonly json: string; readonly createdAt: number } | null>;
  /** The job's state, its row locked until commit; null when there is no such job. */
  lockJob(id: JobId): Promise<JobState | null>;
  setJobState(id: JobId, state: JobState): Promise<void>;
  /** Cancels the job's unsent and in-progress units; their accepted results stay. */
  cancelUnfinished(job: JobId): Promise<void>;
  /** Per state: units, those wanting a replica, and replicas issued beyond each unit's quorum. */
  countByState(job: JobId): Promise<{ state: StoredWorkUnitState; n: number; wanting: number; reissued: number }[]>;
  /** The job's replicas by state (known-answer units included). */
  replicaStates(job: JobId): Promise<{ state: string; n: number }[]>;
  /** Distinct volunteers holding a lease of the job now. */
  activeVolunteers(job: JobId): Promise<number>;
  /** Error results and expired leases by code (`lease_expired`), most frequent first, with the latest of each. */
  failures(job: JobId, limit: number): Promise<FailureRow[]>;
  jobCredit(job: JobId): Promise<number>;
  /**
   * Point lookups in an index, so that they cost the same for a job of any size. A unit under re-check
   * (validated, short of its quorum: steps/recheck.ts) is unfinished: its result may yet be taken back.
   */
  hasUnfinished(job: JobId): Promise<boolean>;
  hasFinished(job: JobId): Promise<boolean>;
  /**
   * Adds credit and finished units to each job (locking its row until commit, in the order given), and
   * returns its state and the last result place now taken: this transaction owns the `finished` places
   * below it, so result cursors follow commit order.
   */
  addJobTotals(deltas: readonly JobDelta[]): Promise<JobTotals[]>;
  /**
   * Whether a lease would find a unit of the job for this volunteer now: one that wants a replica, of this backend
   * class when bound to one, that it never held, or that it may retake (as `retakeWindow` reads it, `endedBy` by
   * attempt), the separation rule aside.
   */
  hasWorkFor(job: JobId, volunteer: VolunteerKey, backend: string, endedBy: readonly number[]): Promise<boolean>;
  /**
   * When the first unit of the job that wants a replica, of this backend class when bound to one, opens to this
   * volunteer to retake: its latest replica of it came back with no answer, and the unit opens once that end is as
   * far behind as `now - endedBy[its attempt]`. Null when it may retake none (none past the list).
   */
  retakeOpensAt(
    job: JobId,
    volunteer: VolunteerKey,
    backend: string,
    now: number,
    endedBy: readonly number[],
  ): Promise<number | null>;
}

export interface UploadRows {
  stageWorkUnits(
    job: JobId,
    batch: string,
    quorum: number,
    units: readonly StagedWorkUnit[],
    now: number,
  ): Promise<void>;
  stagedCount(batch: string): Promise<number>;
  /**
   * Makes the staged batch visible (`state` for plain units, `probe` for known-answer ones); returns what it
   * added. A known-answer unit is finished at `now` with its expected output as its result: it takes the job's
   * next result places, in id order, as a unit that validates does.
   */
  publishBatch(batch: string, state: 'unsent' | 'cancelled', need: number, now: number): Promise<BatchSummary>;
  dropBatch(batch: string): Promise<void>;
  /** Every staged batch begun before `before` (all of them without it): uploads a crash cut short. */
  dropStagedBatches(before?: number): Promise<number>;
  uploadKey(job: JobId, key: string): Promise<(UploadKey & { readonly summary: BatchSummary }) | null>;
  insertUploadKey(job: JobId, key: UploadKey, summary: BatchSummary, at: number): Promise<void>;
}

export interface LeaseRows {
  /** The volunteer's row, created if new and locked until commit. */
  lockVolunteer(key: VolunteerKey): Promise<VolunteerRecord>;
  volunteer(key: VolunteerKey): Promise<VolunteerRecord | null>;
  /**
   * The ids of up to `limit` units of the job above `after` that want a replica, lowest first, of this backend
   * class when the unit is bound to one, that this volunteer never held, of those `units` says; locked, skipping
   * rows another transaction holds. Leasing draws from them at random (rules/assignment.ts `sample`): ids alone,
   * from an index, since most of the window is not drawn.
   */
  leaseWindow(
    job: JobId,
    backend: string,
    volunteer: VolunteerKey,
    limit: number,
    after: WorkUnitNumber | 0,
    units: WindowUnits,
  ): Promise<WorkUnitNumber[]>;
  /**
   * The ids of up to `limit` units of the job above `after` that want a replica, of this backend class when bound to
   * one, of those `units` says, that this volunteer may retake, each with the attempt its retake would be: its latest
   * replica of each was given back or ran out, with no answer, at `endedBy[its attempt]` or before (a replica run out
   * ended at its deadline; an attempt past the list is the last the key may make). Lowest first, locked, skipping
   * rows another transaction holds.
   */
  retakeWindow(
    job: JobId,
    backend: string,
    volunteer: VolunteerKey,
    limit: number,
    after: WorkUnitNumber | 0,
    units: WindowUnits,
    endedBy: readonly number[],
  ): Promise<RetakeUnit[]>;
  /**
   * The units drawn, in id order, each with its tag and its input when that is at most `inlineBytes` long (to
   * travel in the lease).
   */
  drawnUnits(units: readonly WorkUnitNumber[], inlineBytes: number): Promise<Candidate[]>;
  /**
   * The length of each unit's input, in the order given, when it is at most `inlineBytes` (it travels in the
   * lease), else null: what decides how many drawn units one answer carries, without reading their inputs.
   */
  inlineSizes(units: readonly WorkUnitNumber[], inlineBytes: number): Promise<(number | null)[]>;
  /**
   * The keys that were ever given a replica of these units (leased, returned, judged, failed or expired), with
   * their origins: a lease that ran out still keeps its address off the unit, so that keys of one address
   * cannot take turns holding it until its error budget is spent.
   */
  holdersOf(units: readonly WorkUnitNumber[]): Promise<UnitHolder[]>;
  /** Leases held now by all the keys whose origin is in this bucket (rules/lease-limits.ts' per-address ceiling). */
  heldByBucket(bucket: string): Promise<number>;
  /**
   * The key's open leases (leased, deadline at `now` or later) of active jobs, ids above `after`, lowest first, up
   * to `limit`, each with its unit, tag and input when that is at most `inlineBytes` long: what a page starting
   * afresh takes back (steps/lease.ts). None of a unit the grid withdrew (records.ts `isWithdrawn`: a known answer
   * found suspect; a cancelled job is not active): nobody wants its result. Read only: nothing of them changes.
   */
  heldLeases(
    volunteer: VolunteerKey,
    after: LeaseNumber | 0,
    now: number,
    limit: number,
    inlineBytes: number,
  ): Promise<HeldLease[]>;
  /**
   * Known-answer units of the job this volunteer never held, lowest id first, up to `limit`: the same ones on every
   * store, so that the lease's draw among them (steps/lease.ts) is the same on both.
   */
  probeCandidates(job: JobId, volunteer: VolunteerKey, limit: number, inlineBytes: number): Promise<Candidate[]>;
  /** Inserts the replicas in order and returns their lease numbers in the same order. */
  insertReplicas(rows: readonly NewReplica[]): Promise<LeaseNumber[]>;
}

/** What a key's named lease request was granted, and whether a release gave it up (steps/lease-requests.ts). */
export interface LeaseRequestRecord {
  readonly leases: readonly LeaseNumber[];
  readonly givenUp: boolean;
}

/** Lease requests a page named (LeaseRequest.request), kept a few minutes; read and written under the key's lock. */
export interface LeaseRequestRows {
  leaseRequest(volunteer: VolunteerKey, request: string): Promise<LeaseRequestRecord | null>;
  /** Writes the request's row whole; created if new, to be kept until `expiresAt` (a row's stays as first written). */
  putLeaseRequest(volunteer: VolunteerKey, request: string, row: LeaseRequestRecord, expiresAt: number): Promise<void>;
  /** Drops the rows kept until before `now`. */
  pruneLeaseRequests(now: number): Promise<void>;
}

export interface ResultRows {
  /**
   * The key's open leases (leased, whatever their deadline) of these jobs, in context, locked until commit, lowest
   * unit first (then lowest lease): those a heartbeat ends when their jobs were withdrawn whole (steps/heartbeat.ts).
   */
  leasedOfJobs(volunteer: VolunteerKey, jobs: readonly JobId[]): Promise<ReplicaInContext[]>;
  /**
   * The replicas (those that exist) with their units and jobs' states, locked until commit, lowest unit first (then
   * lowest lease): the order Postgres locks them in, so that two transactions cannot lock them in turn crosswise.
   */
  replicasInContext(leases: readonly LeaseNumber[]): Promise<ReplicaInContext[]>;
  /**
   * Leases whose deadline passed before `now` (up to `limit`), in context and locked, skipping locked rows, in the
   * order they ran out (earliest deadline, then lowest lease, first): a key whose error budget covers only some of
   * them is charged for those (steps/expire.ts), so both stores must read them in one order.
   */
  expiredInContext(now: number, limit: number): Promise<ReplicaInContext[]>;
  /** The returned results waiting for a verdict on these units, in the order they came back. */
  returnedFor(units: readonly WorkUnitNumber[]): Promise<ReturnedRow[]>;
  /** The results judged against a known-answer unit so far (valid or invalid), with their keys' origins. */
  probeResults(unit: WorkUnitNumber): Promise<ProbeResult[]>;
  /**
   * Work units of active or paused jobs validated on this key's result alone (quorum 1) at `since` or later, newest first,
   * up to `limit`, locked until commit: what a loss of its trust checks again (steps/recheck.ts).
   */
  singleResultsOf(volunteer: VolunteerKey, since: number, limit: number): Promise<DecidedUnit[]>;
  /**
   * Work units of active or paused jobs validated by a quorum of two or more in which this key's result counted,
   * its newest results first, up to `limit`, locked until commit: what the key's silencing checks again
   * (steps/recheck.ts).
   */
  quorumVotesOf(volunteer: VolunteerKey, limit: number): Promise<DecidedUnit[]>;
  /**
   * The valid results of these units, the votes their quorums counted (and late ones that agreed): what a re-check
   * that takes a unit back sets aside (steps/validate.ts `withdraw`), lowest unit, then lowest lease, first.
   */
  validReplicasOf(
    units: readonly WorkUnitNumber[],
  ): Promise<{ readonly workUnit: WorkUnitNumber; readonly replica: LeaseNumber }[]>;
  /** Stored outputs of these replicas (canonical results, for late replicas). */
  outputsOf(replicas: readonly LeaseNumber[]): Promise<Map<LeaseNumber, Uint8Array>>;
  /** These replicas (those that exist), locked until commit. */
  replicas(ids: readonly LeaseNumber[]): Promise<ReplicaRecord[]>;
  updateReplicas(changes: readonly { readonly id: LeaseNumber; readonly set: ReplicaChange }[]): Promise<void>;
  updateWorkUnits(changes: readonly { readonly id: WorkUnitNumber; readonly set: WorkUnitChange }[]): Promise<void>;
  /** Applies each volunteer's net change in one statement, in the order given (sorted by key: lock order). */
  addVolunteerCounts(deltas: readonly VolunteerDelta[]): Promise<void>;
  /** Adds `by` to the deadline of every lease still live at `since`; returns how many. */
  extendLiveLeases(since: number, by: number): Promise<number>;
  results(job: JobId, after: number, limit: number): Promise<ResultRow[]>;
}

export interface LogRows {
  logHead(): Promise<LogHead>;
  /** The head, locked until commit: the log has one appender at a time. */
  lockLogHead(): Promise<LogHead>;
  setLogHead(head: LogHead): Promise<void>;
  /** Receipts with their leaf hashes: the tree's level 0. */
  insertReceipts(rows: readonly NewReceipt[]): Promise<void>;
  /** Nodes above level 0. */
  insertMerkleNodes(nodes: readonly MerkleNode[]): Promise<void>;
  /** The stored nodes among these, level 0 from the receipts (all of them, in a consistent log). */
  merkleNodes(keys: readonly { readonly level: number; readonly index: number }[]): Promise<MerkleNode[]>;
  receiptsFor(volunteer: VolunteerKey, after: number, limit: number): Promise<StoredReceipt[]>;
  receiptsBetween(start: number, end: number): Promise<StoredReceipt[]>;
  setReceiptSignatures(signatures: ReadonlyMap<number, string>): Promise<void>;
}

export interface MetaRows {
  /** A meta entry, its row locked until commit (two coordinators starting at once read it in turn). */
  meta(key: string): Promise<Uint8Array | null>;
  putMeta(key: string, value: Uint8Array): Promise<void>;
  isVolunteer(key: VolunteerKey): Promise<boolean>;
  /** Creates the key's row if new; records the address of this token and, the first time, when it was seen. */
  ensureVolunteer(key: VolunteerKey, address: string, bucket: string, now: number): Promise<void>;
  pruneChallenges(now: number): Promise<void>;
  /** False when the nonce was recorded before. */
  recordChallenge(nonce: string, volunteer: VolunteerKey, expiresAt: number): Promise<boolean>;
}

/** The operator's ban list (issue 17). */
export interface BanRows {
  /** Bans the key, or updates the reason of its ban (keeping when it was first banned). */
  putBan(volunteer: VolunteerKey, reason: string, at: number): Promise<void>;
  /** False when the key was not banned. */
  deleteBan(volunteer: VolunteerKey): Promise<boolean>;
  ban(volunteer: VolunteerKey): Promise<Ban | null>;
  bans(): Promise<Ban[]>;
  /** Makes the key's live leases due at `now - 1`, for the sweep to end as it ends any late lease; how many. */
  endLeasesOf(volunteer: VolunteerKey, now: number): Promise<number>;
}

/** One transaction: every row operation a step may use, valid until the transaction ends. */
export interface Tx
  extends ProjectRows,
    BlobRows,
    JobRows,
    UploadRows,
    LeaseRows,
    LeaseRequestRows,
    ResultRows,
    LogRows,
    MetaRows,
    BanRows {}

export interface Persistence {
  readonly backend: 'sqlite' | 'postgres';
  /**
   * Runs `work` in one transaction, committing when it resolves and rolling back when it throws; the
   * promise settles only once the commit is durable. May run `work` again after a conflict another
   * process caused (a deadlock Postgres broke), so `work` has no effect outside the transaction.
   */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Whether this process is the one coordinator of the grid that does `task` (`sweep`: expiring leases,
   * dropping uploads a crash cut short, recording the grid as alive). It stays so until it stops; when it
   * dies, the next to ask takes over. Always true for a backend only one process opens.
   */
  lead(task: 'sweep'): Promise<boolean>;
  /**
   * Removes a meta entry in a transaction of its own, and on a backend that keeps files, overwrites its
   * bytes so that no copy is left (a secret moved out of the database).
   */
  deleteMeta(key: string): Promise<void>;
  /** Messages to every coordinator on this database (itself included). */
  readonly broadcast: Broadcast;
  close(): Promise<void>;
}
