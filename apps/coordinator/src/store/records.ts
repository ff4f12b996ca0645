// The rows the state machine reads and the changes it writes, as every backend stores them: the protocol's
// state unions and branded ids, never bare strings. Field names are the state machine's; each backend maps
// them to its columns.
import type {
  BackendClass,
  JobDefinition,
  JobId,
  JobState,
  LeaseNumber,
  ProjectId,
  ReplicaState,
  VolunteerKey,
  WorkUnitNumber,
  WorkUnitState,
} from '@bricolage/protocol';
import type { Standing } from '../rules/standing';

/**
 * A work unit's state as stored: the wire states, plus `staged` (uploaded, not yet committed: invisible),
 * `probe` (a known-answer unit: leased to test volunteers, never part of the job's results) and `suspect` (a
 * known-answer unit whose answer keys of several networks contradicted alike: rules/known-answers.ts; leased to
 * no one and judging no one, it is a failed unit in its researcher's results).
 */
export type StoredWorkUnitState = WorkUnitState | 'staged' | 'probe' | 'suspect';

/** Whether a unit is a known-answer unit: its replicas test their keys and count towards nothing else. */
export const isKnownAnswer = (state: StoredWorkUnitState): boolean => state === 'probe' || state === 'suspect';

/**
 * Whether the grid took a unit back from whoever holds a lease of it: a known answer found suspect (leased to no
 * one, judging no one) or any unit of a cancelled job (its results refused). A lease of it that is given back or
 * runs out is no fault of its key's: it is charged no error and no expiry (steps/release.ts, steps/expire.ts); the
 * key's next heartbeat ends it rather than renew it (steps/heartbeat.ts, steps/withdrawn.ts).
 */
export const isWithdrawn = (unit: StoredWorkUnitState, job: JobState): boolean =>
  unit === 'suspect' || isWithdrawnWhole(job);

/** Whether the grid took back every unit of a job in this state (`isWithdrawn` of any unit of it): a cancelled job. */
export const isWithdrawnWhole = (job: JobState): boolean => job === 'cancelled';

export interface JobRecord {
  readonly id: JobId;
  readonly project: ProjectId;
  readonly state: JobState;
  readonly definition: JobDefinition;
  readonly createdAt: number;
}

export interface WorkUnitRecord {
  readonly id: WorkUnitNumber;
  readonly job: JobId;
  readonly state: StoredWorkUnitState;
  readonly inputHash: string;
  readonly expectedHash: string | null;
  /** Agreeing results needed; 1 for a trusted volunteer's unreplicated unit. */
  readonly quorum: number;
  /** Replicas to issue now (rules/validation.ts `replicasWanted`). */
  readonly need: number;
  readonly inFlight: number;
  readonly issued: number;
  /**
   * Of its replicas, those its job's funder has been debited for (steps/fund.ts `payFor`): every replica not out
   * once it validates, and each that comes back after. Always 0 on an operator's job, which nobody pays for.
   */
  readonly charged: number;
  readonly errors: number;
  /** The largest group of agreeing results so far. */
  readonly agree: number;
  /** Under homogeneous redundancy, the backend class every replica must use. */
  readonly hrClass: BackendClass | null;
  readonly canonicalReplica: LeaseNumber | null;
  readonly outputHash: string | null;
}

/** What a step writes to a work unit: only the columns it changed. */
export type WorkUnitChange = Partial<
  Pick<
    WorkUnitRecord,
    | 'state'
    | 'quorum'
    | 'need'
    | 'inFlight'
    | 'issued'
    | 'charged'
    | 'errors'
    | 'agree'
    | 'hrClass'
    | 'canonicalReplica'
  >
> & {
  readonly outputHash?: string | null;
  readonly reason?: string | null;
  readonly finishedAt?: number | null;
  /** The unit's place in its job's results (the download cursor); set when it finishes. */
  readonly resultSeq?: number | null;
};

export interface ReplicaRecord {
  readonly id: LeaseNumber;
  readonly workUnit: WorkUnitNumber;
  readonly job: JobId;
  readonly volunteer: VolunteerKey;
  readonly state: ReplicaState;
  /** When it was leased: a heartbeat never keeps it alive past a lifetime counted from then (rules/lease-limits.ts). */
  readonly leasedAt: number;
  /** What restarts added to its deadline (downtime and grace): its lifetime is counted without it. */
  readonly pausedMs: number;
  readonly deadline: number;
  readonly outputHash: string | null;
  readonly errorCode: string | null;
}

/** What a step writes to a replica. `output: null` drops a stored output nobody needs any more. */
export type ReplicaChange = Partial<Pick<ReplicaRecord, 'state' | 'deadline' | 'outputHash' | 'errorCode'>> & {
  readonly returnedAt?: number;
  readonly output?: Uint8Array | null;
  readonly backend?: BackendClass | string;
  readonly errorMessage?: string;
};

/** A replica joined with its work unit and its job's state: all a submit or an expiry needs, in one lookup. */
export interface ReplicaInContext {
  readonly replica: ReplicaRecord;
  /** When the lease was granted: what the credit of its result is bounded by (rules/credit.ts). */
  readonly leasedAt: number;
  readonly workUnit: WorkUnitRecord;
  readonly jobState: JobState;
}

/** A result returned and waiting for its work unit's verdict. */
export interface ReturnedRow {
  readonly replica: LeaseNumber;
  /** How long the lease was held, from its grant to its result (rules/credit.ts). */
  readonly heldMs: number;
  readonly workUnit: WorkUnitNumber;
  readonly volunteer: VolunteerKey;
  readonly backend: BackendClass;
  readonly outputHash: string;
  readonly output: Uint8Array;
  /** Whether its volunteer still votes (rules/reputation.ts): a result of a key that stopped counts for nothing. */
  readonly voting: boolean;
}

/**
 * Which of a job's wanting units a lease window reads: any; those started (a replica issued, a result or a lease
 * out or expired, still short of their quorum); or those never issued. A funded job whose balance is short
 * finishes its started units first (rules/funding.ts).
 */
export type WindowUnits = 'any' | 'started' | 'new';

/** A unit a key may retake, with the attempt its next replica of it would be (1 for its first retake). */
export interface RetakeUnit {
  readonly workUnit: WorkUnitNumber;
  readonly attempt: number;
}

/** A work unit offered for leasing, with its input when it is small enough to travel in the lease. */
export interface Candidate {
  readonly workUnit: WorkUnitRecord;
  readonly input: Uint8Array | null;
  readonly tag: string | null;
}

/** A lease its key holds still (leased, its deadline not passed), with its unit as a lease answer carries it. */
export interface HeldLease extends Candidate {
  readonly lease: LeaseNumber;
  readonly job: JobId;
  readonly project: ProjectId;
  readonly backend: BackendClass | null;
  readonly deadline: number;
}

/** A job's volunteers' failures of one code, with the latest one as an example. */
export interface FailureRow {
  readonly code: string;
  readonly count: number;
  readonly workUnit: WorkUnitNumber;
  readonly message: string | null;
}

export interface NewReplica {
  readonly workUnit: WorkUnitNumber;
  readonly job: JobId;
  readonly volunteer: VolunteerKey;
  readonly leasedAt: number;
  readonly deadline: number;
  readonly backend: BackendClass;
  /**
   * 0 for the key's first replica of the unit; k for its k-th retake, every earlier one having come back with no
   * answer (steps/lease.ts, rules/assignment.ts RetakeRule).
   */
  readonly attempt: number;
}

/** Another grid's receipt credited here: its log's key and its index there. */
export interface ImportClaim {
  readonly log: string;
  readonly index: number;
  readonly volunteer: VolunteerKey;
  readonly at: number;
}

/**
 * An export made with a client's requestId: that key's request, what it asked for, and the log entry that answered
 * it, so that the same request again is answered with that entry instead of moving credit twice.
 */
export interface ExportRequestRecord {
  readonly volunteer: VolunteerKey;
  readonly requestId: string;
  readonly to: string;
  readonly amount: number;
  /** The `export` entry's index in this grid's log. */
  readonly index: number;
  readonly at: number;
}

export interface VolunteerRecord {
  readonly key: VolunteerKey;
  /**
   * Its reputation and error budget. A key never charged an error has a budget dated null: it holds the
   * initial allowance as of whenever it is first read (a key cannot refill an allowance by waiting unseen).
   */
  readonly standing: StoredStanding;
  readonly leased: number;
  readonly returned: number;
  /** Results returned and waiting for their unit's verdict. */
  readonly pending: number;
  readonly valid: number;
  readonly invalid: number;
  readonly errors: number;
  readonly credit: number;
  /** What the key's own jobs cost it (debits). */
  readonly spent: number;
  /** The part of `credit` earned on jobs the key itself paid for: not spendable. */
  readonly ownCredit: number;
  /** Where the key comes from, or null for a key that never traded a challenge for a token (a funder, say). */
  readonly origin: VolunteerOrigin | null;
}

/**
 * Where a volunteer key comes from, as the token route saw it (issue 17): replicas of one unit are never given
 * to keys of one address or of one burst of new keys from one network (rules/assignment.ts).
 */
export interface VolunteerOrigin {
  /** The client address of its latest token (http/client-address.ts `clientAddress`). */
  readonly address: string;
  /** That address's bucket (`bucketOf`: an IPv6 /64 is one): what separation and per-address ceilings count by. */
  readonly bucket: string;
  /** When it first traded a challenge for a token (ms since the epoch). */
  readonly firstSeen: number;
}

/** A key holding (or having returned) a replica of a unit, for the separation rule. */
export interface UnitHolder {
  readonly workUnit: WorkUnitNumber;
  readonly volunteer: VolunteerKey;
  readonly origin: VolunteerOrigin | null;
}

/** A result judged against a known answer, with its key's origin (`probeResults`). */
export interface ProbeResult {
  readonly replica: LeaseNumber;
  readonly volunteer: VolunteerKey;
  readonly origin: VolunteerOrigin | null;
  /** Whether it agreed with the known answer (valid) or not (invalid). */
  readonly passed: boolean;
  readonly outputHash: string | null;
  /** Its key's validated results, ever. */
  readonly validated: number;
}

export interface StoredStanding {
  readonly reputation: Standing['reputation'];
  readonly budget: { readonly allowance: number; readonly at: number | null };
}

/**
 * One transaction's net change to a volunteer, written in one statement: counters added, and its standing as
 * folded on the row locked at commit (rules/standing.ts), or null when no verdict of this transaction moved it.
 */
export interface VolunteerDelta {
  readonly key: VolunteerKey;
  readonly leased: number;
  readonly returned: number;
  readonly pending: number;
  readonly errors: number;
  readonly valid: number;
  readonly invalid: number;
  readonly credit: number;
  readonly spent: number;
  readonly ownCredit: number;
  readonly standing: Standing | null;
}

/**
 * A validated work unit that one key's result decided (alone, or as a vote of a quorum), and when: what a loss
 * of that key's trust, or its silencing, checks again.
 */
export interface DecidedUnit {
  readonly workUnit: WorkUnitRecord;
  readonly validatedAt: number;
}

/** One transaction's net change to a job: credit granted and work units finished (which take result places). */
export interface JobDelta {
  readonly job: JobId;
  readonly credit: number;
  readonly finished: number;
}

/** The job as `addJobTotals` left it: its state, and the last result place now taken. */
export interface JobTotals {
  readonly job: JobId;
  readonly state: JobState;
  readonly resultSeq: number;
}

/**
 * The receipt log's head: its size, the hashes of the perfect subtrees its size's binary form names
 * (largest first: enough to append and to compute the root without reading the tree), and when it last grew.
 */
export interface LogHead {
  readonly size: number;
  readonly frontier: readonly Uint8Array[];
  readonly root: Uint8Array;
  readonly at: number;
}

export interface MerkleNode {
  readonly level: number;
  readonly index: number;
  readonly hash: Uint8Array;
}

export interface NewReceipt {
  readonly index: number;
  readonly volunteer: VolunteerKey;
  /** The canonical JSON of the receipt's body: what the log's leaf hashes and the signature covers. */
  readonly body: string;
  /** Its Merkle leaf hash: the tree's level 0, kept with the receipt. */
  readonly leaf: Uint8Array;
}
