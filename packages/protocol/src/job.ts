// Jobs: what a researcher asks the grid to compute, and how results are judged.
import { z } from 'zod';
import { CheckingPolicy } from './checking';
import { BlobHash, JobId, ProjectId } from './ids';
import { JobSpec } from './job-spec';
import { isStorableText, STORABLE_TEXT } from './text';

export const JOB_STATES = ['active', 'paused', 'cancelled', 'completed'] as const;
export const JobState = z.enum(JOB_STATES).meta({ id: 'JobState' });
export type JobState = z.infer<typeof JobState>;

export const WORK_UNIT_STATES = ['unsent', 'in_progress', 'validated', 'failed', 'cancelled'] as const;
export const WorkUnitState = z.enum(WORK_UNIT_STATES);
export type WorkUnitState = z.infer<typeof WorkUnitState>;

/** How one replica of a work unit ended up. */
// `released`: given back uncomputed by the page that held it (API.release): no result, and no error either.
// `withdrawn`: taken back by the grid, its unit withdrawn while the lease was held (a known answer found suspect, a
// cancelled job's unit): ended at its key's heartbeat or when it ran out, no result wanted, and no one's error.
export const REPLICA_STATES = [
  'leased',
  'returned',
  'valid',
  'invalid',
  'error',
  'expired',
  'superseded',
  'released',
  'withdrawn',
] as const;
export const ReplicaState = z.enum(REPLICA_STATES);
export type ReplicaState = z.infer<typeof ReplicaState>;

/** A name a researcher gives (a job's, a project's). */
export const Name = z.string().trim().min(1).max(120).refine(isStorableText, STORABLE_TEXT);
/** Free text a researcher, an operator or a volunteer writes, at most `max` characters (see text.ts). */
export const Text = (max: number) => z.string().max(max).refine(isStorableText, STORABLE_TEXT);

export const Comparator = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('exact') }),
    z.object({
      kind: z.literal('float'),
      /** Outputs are read as little-endian f32 and compared element by element. */
      rtol: z.number().min(0).max(1),
      atol: z.number().min(0),
    }),
  ])
  .meta({ id: 'Comparator' });
export type Comparator = z.infer<typeof Comparator>;

export const Redundancy = z
  .object({
    /** BOINC's min_quorum: agreeing results needed for a canonical result. */
    minQuorum: z.number().int().min(1).max(16).default(2),
    /** BOINC's max_total_results: replicas issued before the work unit fails. */
    maxTotalResults: z.number().int().min(1).max(64).default(6),
    /** BOINC's max_error_results: error replicas tolerated before the work unit fails. */
    maxErrorResults: z.number().int().min(0).max(64).default(3),
    /** Quorums may only be formed by results of one backend class. */
    homogeneous: z.boolean().default(false),
  })
  .refine((r) => r.maxTotalResults >= r.minQuorum, { message: 'maxTotalResults must be at least minQuorum' })
  .meta({ id: 'Redundancy' });
export type Redundancy = z.infer<typeof Redundancy>;

export const AdaptiveReplication = z
  .object({
    enabled: z.boolean().default(true),
    /** Consecutive validated results before a volunteer's work may go unreplicated. */
    trustAfter: z.number().int().min(1).max(100_000).default(10),
    /** Floor on the replication probability of a trusted volunteer's work units: the spot-check rate. */
    spotCheckRate: z.number().min(0.01).max(1).default(0.1),
  })
  .meta({ id: 'AdaptiveReplication' });
export type AdaptiveReplication = z.infer<typeof AdaptiveReplication>;

/** A project's Ed25519 public key, as `generateSigningKeyPair` gives it. */
export const SigningKey = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, 'an Ed25519 public key, 32 bytes in unpadded base64url');

export const JobSignature = z
  .object({
    /** The project's public key that made the signature. */
    key: SigningKey,
    /** Ed25519 over `jobSigningMessage`, unpadded base64url. */
    signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/, 'an Ed25519 signature, 64 bytes in unpadded base64url'),
  })
  .meta({ id: 'JobSignature' });
export type JobSignature = z.infer<typeof JobSignature>;

export const CreateJobRequest = z
  .object({
    name: Name,
    description: Text(2000).default(''),
    spec: JobSpec,
    comparator: Comparator,
    redundancy: Redundancy.default({ minQuorum: 2, maxTotalResults: 6, maxErrorResults: 3, homogeneous: false }),
    adaptive: AdaptiveReplication.default({ enabled: true, trustAfter: 10, spotCheckRate: 0.1 }),
    /** Fraction of leases that are known-answer work units, when the job has any. */
    knownAnswerRate: z.number().min(0).max(1).default(0.05),
    leaseSeconds: z
      .number()
      .int()
      .min(5)
      .max(7 * 24 * 3600)
      .default(600),
    /** Credit earned by each volunteer whose result is part of a canonical quorum. */
    costPerWorkUnit: z.number().positive().max(1_000_000),
    /** Compute budget per work unit on the volunteer's device, after which the worker is killed. */
    timeBudgetMs: z.number().int().min(100).max(3_600_000).default(60_000),
    /**
     * The project's signature on the job's code (`signJob`). Once a project has a signed job, every job it
     * creates must be signed by the same key: the key its public listing publishes.
     */
    signature: JobSignature.optional(),
    /**
     * Anyone may read the job's finished work units (GET /v1/jobs/{job}/public-results, no token): for a job
     * meant to be watched, like the demo whose picture volunteers see fill in. Off by default: results are the
     * researcher's.
     */
    publicResults: z.boolean().default(false),
  })
  .superRefine(({ spec, comparator }, ctx) => {
    if (spec.kind !== 'onnx' || !spec.stackable) return;
    // Volunteers that stack units and those that do not must agree on every result: only within a tolerance.
    if (comparator.kind === 'exact')
      ctx.addIssue({
        code: 'custom',
        path: ['comparator'],
        message: 'a stackable ONNX job needs a float comparator: stacking units may change the order of a sum',
      });
    if ([...spec.inputs, ...spec.outputs].some((t) => t.shape.length === 0))
      ctx.addIssue({
        code: 'custom',
        path: ['spec'],
        message: 'a stackable ONNX job stacks units along the first dimension: no tensor may be a scalar',
      });
  })
  .meta({ id: 'CreateJobRequest' });
export type CreateJobRequest = z.input<typeof CreateJobRequest>;
export type JobDefinition = z.output<typeof CreateJobRequest>;

export const WorkUnitCounts = z
  .object(
    Object.fromEntries(WORK_UNIT_STATES.map((s) => [s, z.number().int().nonnegative()])) as Record<
      WorkUnitState,
      z.ZodNumber
    >,
  )
  .meta({ id: 'WorkUnitCounts' });
export type WorkUnitCounts = z.infer<typeof WorkUnitCounts>;

export const Job = z
  .object({
    id: JobId,
    project: ProjectId,
    state: JobState,
    createdAt: z.number().int(),
    definition: CreateJobRequest,
  })
  .meta({ id: 'Job' });
export type Job = z.infer<typeof Job>;

/** Why a job is where it is; `stalled` when it cannot progress without someone acting. */
export const DIAGNOSIS_CODES = [
  'running', // eligible volunteers are online and there is work for them
  'queued', // as running, but no unit of the job is out yet: the volunteers take it as they ask for work
  'waiting_for_results', // every unit that wants a replica has one out: results are on their way
  'completed',
  'cancelled',
  'paused',
  'no_work_units',
  'no_volunteers', // no volunteer has asked for work lately
  'no_eligible_volunteer', // volunteers are online, none can run this job
  'waiting_for_volunteers', // the eligible volunteers online already hold or returned every unit that wants one
  'waiting_for_retake', // as waiting_for_volunteers, but one of them may retake a unit it gave back, after a wait
] as const;
export const JobDiagnosis = z
  .object({
    code: z.enum(DIAGNOSIS_CODES),
    stalled: z.boolean(),
    /** One sentence for a person, e.g. "no eligible volunteer online: 4 connected, 0 can run this job's WGSL". */
    why: z.string(),
    /** Volunteers that asked for work lately, and how many of those can run this job. */
    volunteers: z.object({ connected: z.number().int().nonnegative(), eligible: z.number().int().nonnegative() }),
  })
  .meta({ id: 'JobDiagnosis' });
export type JobDiagnosis = z.infer<typeof JobDiagnosis>;

const Count = z.number().int().nonnegative();

/** Volunteers' failures of one kind on a job: a volunteer's error code, or `lease_expired` for no reply in time. */
export const ErrorTally = z
  .object({
    code: z.string(),
    count: Count,
    /** The latest such failure, so a person can look at one. */
    example: z.object({ workUnit: z.string(), message: z.string() }),
  })
  .meta({ id: 'ErrorTally' });
export type ErrorTally = z.infer<typeof ErrorTally>;

/** What the job's replicas did: the figures behind agreement rate, reissues and errors. Known-answer units included. */
export const ReplicaTally = z
  .object({
    /** Replicas leased out so far. */
    issued: Count,
    /** Replicas issued beyond each work unit's quorum: to replace one that erred, expired or disagreed. */
    reissued: Count,
    /** Results that agreed with the canonical result (or the known answer). */
    valid: Count,
    /** Results that disagreed with it. */
    invalid: Count,
    /** Error results and leases that expired without a result. */
    errors: Count,
    /**
     * Leases given back uncomputed (a page leaving or stopping): their units went back in the queue at once, no
     * one's error, and the replicas that replace them are not counted as reissued.
     */
    givenBack: Count,
    /** Leases the grid took back before a result came (their job cancelled, a known answer found suspect). */
    withdrawn: Count,
  })
  .meta({ id: 'ReplicaTally' });
export type ReplicaTally = z.infer<typeof ReplicaTally>;

/** How many error codes a progress report lists (the most frequent first). */
export const MAX_ERROR_TALLIES = 10;

export const JobProgress = z
  .object({
    job: JobId,
    state: JobState,
    /** Work units by state as the results show them; known answers still judging are not among them. */
    counts: WorkUnitCounts,
    /** Known-answer units still judging: their results (their expected outputs) are there from the start. */
    knownAnswer: Count,
    /**
     * Known-answer units found suspect (volunteers of several networks returned one other output): counted in
     * `counts.failed`, as the results list them, but their researcher's expected outputs to check, not volunteers'
     * failures (these are `errors` and `replicas.errors`).
     */
    suspectAnswers: Count,
    credit: z.number().nonnegative(),
    diagnosis: JobDiagnosis,
    /** Distinct volunteers holding a lease of this job now. */
    activeVolunteers: Count,
    replicas: ReplicaTally,
    /** Failures by code, most frequent first, at most MAX_ERROR_TALLIES of them. */
    errors: z.array(ErrorTally).max(MAX_ERROR_TALLIES),
    at: z.number().int(),
  })
  .meta({ id: 'JobProgress' });
export type JobProgress = z.infer<typeof JobProgress>;

/** One line of the NDJSON work-unit upload. */
export const WorkUnitLine = z
  .object({
    /** Input bytes, base64: the concatenation of the job's inputs in declared order. */
    input: z.string().max(64 * 1024 * 1024),
    /**
     * Known-answer work unit: the expected output, base64. A unit of the job like any other, handed out to
     * check volunteers; its result is this output, among the job's results from the moment it is added.
     */
    expected: z
      .string()
      .max(64 * 1024 * 1024)
      .optional(),
    /** The researcher's own label, returned with the result. */
    tag: Text(200).optional(),
  })
  .meta({ id: 'WorkUnitLine' });
export type WorkUnitLine = z.infer<typeof WorkUnitLine>;

export const AddWorkUnitsResponse = z
  .object({
    job: JobId,
    added: z.number().int().nonnegative(),
    knownAnswer: z.number().int().nonnegative(),
    firstWorkUnit: z.string().nullable(),
    lastWorkUnit: z.string().nullable(),
  })
  .meta({ id: 'AddWorkUnitsResponse' });
export type AddWorkUnitsResponse = z.infer<typeof AddWorkUnitsResponse>;

/** One line of the NDJSON results download. `cursor` resumes the download after this line. */
export const ResultLine = z
  .object({
    cursor: z.number().int().positive(),
    workUnit: z.string(),
    tag: z.string().nullable(),
    state: z.enum(['validated', 'failed']),
    outputHash: BlobHash.nullable(),
    output: z.string().nullable(),
    reason: z.string().nullable(),
    at: z.number().int(),
  })
  .meta({ id: 'ResultLine' });
export type ResultLine = z.infer<typeof ResultLine>;

/** A job as anyone may see it on `GET /v1/projects/{project}/status`: no definition, no results. */
export const JobStatus = z
  .object({
    id: JobId,
    name: z.string(),
    state: JobState,
    counts: WorkUnitCounts,
    diagnosis: JobDiagnosis,
    /** How its results are checked, from its own settings (`describeChecking` says it in words). */
    checking: CheckingPolicy,
    /** Its finished work units can be read by anyone at GET /v1/jobs/{job}/public-results. */
    publicResults: z.boolean(),
  })
  .meta({ id: 'JobStatus' });
export type JobStatus = z.infer<typeof JobStatus>;
