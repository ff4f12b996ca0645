// The volunteer side of the wire: authentication, capabilities, leases, results.
import { z } from 'zod';
import { Comparator, JobSignature, Text } from './job';
import { BackendClass, JobSpec } from './job-spec';
import { BlobHash, Ed25519Signature, JobId, LeaseId, ProjectId, VolunteerKey, WorkUnitId } from './ids';
import { LogKey, ProvenReceipt } from './receipt';

/** Step 1 of authentication: ask for a single-use challenge. */
export const ChallengeRequest = z.object({ volunteer: VolunteerKey }).meta({ id: 'ChallengeRequest' });
export const ChallengeResponse = z
  .object({ challenge: z.string(), expiresAt: z.number().int() })
  .meta({ id: 'ChallengeResponse' });
export type ChallengeResponse = z.infer<typeof ChallengeResponse>;

/**
 * Step 2: sign `authMessage(challenge, volunteer)` with the volunteer's key and trade it for a short-lived
 * bearer token. A challenge is consumed by its first use, so a captured signature cannot be replayed.
 */
export const TokenRequest = z
  .object({
    volunteer: VolunteerKey,
    challenge: z.string().min(16).max(128),
    signature: Ed25519Signature,
  })
  .meta({ id: 'TokenRequest' });
export type TokenRequest = z.infer<typeof TokenRequest>;
export const TokenResponse = z.object({ token: z.string(), expiresAt: z.number().int() }).meta({ id: 'TokenResponse' });
export type TokenResponse = z.infer<typeof TokenResponse>;

export const authMessageBody = (challenge: string, volunteer: string): string => `${challenge}\n${volunteer}`;

export const WebGpuCapability = z
  .object({
    vendor: z.string().max(200).default(''),
    architecture: z.string().max(200).default(''),
    description: z.string().max(400).default(''),
    isFallbackAdapter: z.boolean(),
    limits: z.object({
      maxStorageBufferBindingSize: z.number().int().nonnegative(),
      maxBufferSize: z.number().int().nonnegative(),
      maxUniformBufferBindingSize: z.number().int().nonnegative().default(65536),
      maxComputeWorkgroupsPerDimension: z.number().int().nonnegative().default(65535),
      maxComputeInvocationsPerWorkgroup: z.number().int().nonnegative().default(256),
      maxComputeWorkgroupStorageSize: z.number().int().nonnegative().default(16384),
      maxStorageBuffersPerShaderStage: z.number().int().nonnegative().default(8),
    }),
    features: z.array(z.string().max(64)).max(64).default([]),
  })
  .meta({ id: 'WebGpuCapability' });
export type WebGpuCapability = z.infer<typeof WebGpuCapability>;

/** A device's measured throughput on one job: units it completes per second, at its current throttle. */
export const JobSpeed = z
  .object({ job: JobId, unitsPerSecond: z.number().positive().max(1_000_000) })
  .meta({ id: 'JobSpeed' });
export type JobSpeed = z.infer<typeof JobSpeed>;

export const Capabilities = z
  .object({
    webgpu: WebGpuCapability.nullable(),
    wasm: z.boolean(),
    onnx: z.object({ providers: z.array(z.enum(['wasm', 'webgpu'])).max(4) }).nullable(),
    hardwareConcurrency: z.number().int().min(1).max(1024).default(1),
    /** The backend this device will use for each job kind, decided by calibration on the device. */
    backends: z.object({ wgsl: BackendClass.nullable(), onnx: BackendClass.nullable() }),
    /**
     * The device's speed on the jobs it has computed lately, measured from its own work units: the
     * coordinator sizes its leases of those jobs to that speed (BOINC's estimated-speed scheduling).
     */
    speeds: z.array(JobSpeed).max(64).optional(),
  })
  .meta({ id: 'Capabilities' });
export type Capabilities = z.infer<typeof Capabilities>;

/** The most work units one lease request may ask for (`LeaseRequest.max`). */
export const MAX_LEASE_REQUEST = 1000;

/** A client-chosen name of one request: 16–64 characters of `A–Z a–z 0–9 _ -` (a random UUID will do). */
const RequestName = (field: string) =>
  z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, `${field}: 16 to 64 characters of A-Z, a-z, 0-9, _ and -`);

/** The most lease requests one release may name (`ReleaseRequest.requests`): a page has one out at a time. */
export const MAX_RELEASED_REQUESTS = 4;

export const LeaseRequest = z
  .object({
    capabilities: Capabilities,
    /**
     * Work units wanted of jobs the capabilities give no speed for. A job with a speed is sized by the
     * coordinator instead: enough to keep the device busy for a while, within the per-volunteer cap.
     */
    max: z.number().int().min(1).max(MAX_LEASE_REQUEST).default(1),
    /** Only this project's jobs (a farm's `--project`, a page's `?project=`). */
    project: ProjectId.optional(),
    /**
     * The projects this volunteer chose to serve (its page's per-project choice): only their jobs are leased,
     * and none when the list is empty. Absent: every project.
     */
    projects: z.array(ProjectId).max(100).optional(),
    /**
     * This page starts without the leases its key may still hold (a reload, the next page of a site with the
     * widget, a stop and start): the key's open leases of the jobs it may be leased come back first, before any
     * new ones, with their deadlines unchanged; those after this lease, or from the first when null. Without it
     * a page that left strands its key's leases until they expire, and the key's room with them.
     */
    resumeAfter: LeaseId.nullable().optional(),
    /**
     * A name for this request, new for each (random), so that a page that goes while it is out can give back
     * what it is granted without ever seeing the answer: a release naming it in `requests` gives back the leases
     * granted under it, or, arriving first, has none granted under it. The coordinator keeps a name's grants for
     * 2 minutes from its first use.
     */
    request: RequestName('request').optional(),
  })
  .meta({ id: 'LeaseRequest' });
export type LeaseRequest = z.input<typeof LeaseRequest>;

/** What a volunteer needs to know of a job to run it; the rest of the job stays with the researcher. */
export const LeasedJob = z
  .object({
    id: JobId,
    project: ProjectId,
    name: z.string(),
    spec: JobSpec,
    comparator: Comparator,
    timeBudgetMs: z.number().int(),
    /**
     * The backend the coordinator chose for this device (protocol's chooseBackend on the capabilities it
     * sent): usually its calibrated path, or WebGPU for a job without a wasm twin on a device that prefers wasm.
     */
    backend: BackendClass,
    /** The project's signature on the spec and comparator: the volunteer checks it before running anything. */
    signature: JobSignature.nullable(),
  })
  .meta({ id: 'LeasedJob' });
export type LeasedJob = z.infer<typeof LeasedJob>;

export const Lease = z
  .object({
    lease: LeaseId,
    workUnit: WorkUnitId,
    job: JobId,
    deadline: z.number().int(),
    inputHash: BlobHash,
    /** The input bytes, base64, inlined when small; otherwise fetch `/v1/blobs/{inputHash}`. */
    input: z.string().nullable(),
    /**
     * In a lease answer sent as a frame (`accept: application/vnd.bricolage.lease-frame`, lease-frame.ts) only:
     * the input is carried as bytes after the answer's JSON, this many of them, and `input` is null.
     */
    inlineBytes: z.number().int().nonnegative().optional(),
    /**
     * The work unit's tag, for a job that publishes its results (publicResults), so that a volunteer page can
     * show where its own result goes (a demo's picture); absent otherwise, and always for a known-answer unit.
     */
    tag: z.string().max(200).optional(),
  })
  .meta({ id: 'Lease' });
export type Lease = z.infer<typeof Lease>;

/**
 * Why a key was given nothing whatever the grid has, from its own standing: `errors`, too many of its recent results
 * were errors, and it may lease again at `until` (ms since the epoch); `not_voting`, its results no longer count (a
 * failed known answer, or too many disagreements), so it gets no work at all.
 */
export const HeldBack = z
  .discriminatedUnion('why', [
    z.object({ why: z.literal('errors'), until: z.number().int().nonnegative() }),
    z.object({ why: z.literal('not_voting') }),
  ])
  .meta({ id: 'HeldBack' });
export type HeldBack = z.infer<typeof HeldBack>;

export const LeaseResponse = z
  .object({
    leases: z.array(Lease),
    jobs: z.array(LeasedJob),
    /** When nothing could be leased: seconds to wait before asking again. */
    retryAfter: z.number().int().nonnegative().nullable(),
    /**
     * When nothing could be leased: whether it is because this key holds the most leases it may (results not
     * yet accepted count), so that it may ask again as soon as some of its results are accepted, rather than
     * because the grid has nothing for it. Absent from coordinators that do not say.
     */
    full: z.boolean().optional(),
    /** When nothing could be leased because of the key's own standing: why. Absent from coordinators that do not say. */
    heldBack: HeldBack.optional(),
    /** On `resumeAfter`: how many of `leases`, at the front, the key held already. */
    resumed: z.number().int().nonnegative().optional(),
    /**
     * On `resumeAfter`, when the key holds more open leases than this answer could carry back: ask again with
     * this as `resumeAfter` (no new leases come until they have all come back).
     */
    resumeNext: LeaseId.optional(),
  })
  .meta({ id: 'LeaseResponse' });
export type LeaseResponse = z.infer<typeof LeaseResponse>;

/** Jobs a heartbeat may ask about: more than the jobs one page holds units of at once. */
export const MAX_HEARTBEAT_JOBS = 64;

export const HeartbeatRequest = z
  .object({
    /** Leases to renew (none: the heartbeat only asks about `jobs`). */
    leases: z.array(LeaseId).max(1000),
    /**
     * The jobs the page holds units of: the answer's `withdrawn` names the key's leases of those of them the grid
     * withdrew whole (a cancelled job's), so that a page learns of it within a heartbeat, not at a lease's half-life.
     */
    jobs: z.array(JobId).max(MAX_HEARTBEAT_JOBS).optional(),
  })
  // A heartbeat that names nothing asks nothing: refused, as it was before it could ask about jobs.
  .refine((r) => r.leases.length > 0 || (r.jobs?.length ?? 0) > 0, {
    message: 'a heartbeat names at least one lease or one job',
  })
  .meta({ id: 'HeartbeatRequest' });
export const HeartbeatResponse = z
  .object({
    /**
     * For each lease asked about: `leased` with its new deadline, or no deadline and how it ended, which the page
     * takes as leave to drop it: a replica state (`expired`, `released`, `withdrawn` when the grid took its unit
     * back, a result's `returned` ...) or `unknown` (no lease of this key's). A string, not an enum, so that a
     * state added later reaches older pages as one more ended lease.
     */
    leases: z.array(z.object({ lease: LeaseId, deadline: z.number().int().nullable(), state: z.string() })),
    /**
     * When the request named `jobs`: the key's leases of those the grid withdrew whole (a cancelled job's), not
     * named in `leases`, ended now as `withdrawn`. The page drops them: not to start them, and to stop one running.
     */
    withdrawn: z.array(LeaseId).optional(),
  })
  .meta({ id: 'HeartbeatResponse' });

/**
 * Leases a page gives back uncomputed as it leaves (pagehide, a stop): each goes back into the queue at once,
 * as no error of the key's or the unit's. Leases not the key's or not open are left as they are.
 */
export const ReleaseRequest = z
  .object({
    leases: z.array(LeaseId).max(1000),
    /**
     * Lease requests of the key's (`LeaseRequest.request`) whose answers the page will never read (it is going
     * while they are out): the open leases granted under them are given back too, and a request named here
     * before the coordinator took it is granted nothing.
     */
    requests: z.array(RequestName('requests')).max(MAX_RELEASED_REQUESTS).optional(),
  })
  .refine((r) => r.leases.length > 0 || (r.requests?.length ?? 0) > 0, {
    message: 'a release names at least one lease or one lease request',
  })
  .meta({ id: 'ReleaseRequest' });
export type ReleaseRequest = z.infer<typeof ReleaseRequest>;
export const ReleaseResponse = z.object({ released: z.number().int().nonnegative() }).meta({ id: 'ReleaseResponse' });
export type ReleaseResponse = z.infer<typeof ReleaseResponse>;

export const SubmittedResult = z
  .discriminatedUnion('kind', [
    z.object({
      kind: z.literal('ok'),
      lease: LeaseId,
      output: z.string().max(64 * 1024 * 1024),
      outputHash: BlobHash,
      backend: BackendClass,
      elapsedMs: z.number().nonnegative().max(1e9).default(0),
    }),
    z.object({
      kind: z.literal('error'),
      lease: LeaseId,
      // `untrusted_job`: the job's signature does not hold against its project's published key (job-signing.ts).
      code: z.enum([
        'timeout',
        'device_lost',
        'self_check_failed',
        'compile_failed',
        'runtime_error',
        'unsupported',
        'untrusted_job',
      ]),
      message: Text(2000),
      backend: BackendClass.optional(),
    }),
  ])
  .meta({ id: 'SubmittedResult' });
export type SubmittedResult = z.infer<typeof SubmittedResult>;

/** A batch is all-or-nothing: one rejected item rejects the batch, and the error names its index. */
export const SubmitRequest = z
  .object({ results: z.array(SubmittedResult).min(1).max(1000) })
  .meta({ id: 'SubmitRequest' });
export type SubmitRequest = z.input<typeof SubmitRequest>;
export const SubmitResponse = z
  .object({
    accepted: z.number().int().nonnegative(),
    /** Items that repeated an identical earlier submission: accepted before, nothing changed now. */
    repeated: z.number().int().nonnegative(),
  })
  .meta({ id: 'SubmitResponse' });
export type SubmitResponse = z.infer<typeof SubmitResponse>;

/** An export's client-chosen requestId (ExportRequest.requestId): what names the move, in the body and in a path. */
export const ExportRequestId = RequestName('requestId');

/**
 * Moves credit out of this grid: `amount` of what the volunteer may spend here, to the grid whose coordinator's
 * public key is `to` (it names that grid's log; one this grid honours). The answer is the proven export receipt,
 * which the volunteer presents to that grid (ImportRequest).
 */
export const ExportRequest = z
  .object({
    /** The receiving coordinator's public key, as its `/.well-known/bricolage.json` publishes it. */
    to: LogKey,
    /** At least a thousandth: a smaller amount would be lost in the balance's rounding, yet take an entry of each log. */
    amount: z.number().min(0.001, 'amount: at least 0.001 credit moves at once').finite(),
    /**
     * A client-chosen id of this move, 16–64 characters of `A–Z a–z 0–9 _ -` (a random UUID will do): the same
     * requestId from the same key returns the first export's receipt instead of moving credit again; reuse it when
     * retrying a request whose answer was lost; a new one for each move. Used again for another `to` or amount, or
     * after it was settled with no export made (ExportSettled), it is refused (409). Without it, every request is a
     * new move.
     */
    requestId: ExportRequestId.optional(),
  })
  .meta({ id: 'ExportRequest' });
export type ExportRequest = z.infer<typeof ExportRequest>;

export const ExportResponse = z.object({ receipt: ProvenReceipt }).meta({ id: 'ExportResponse' });
export type ExportResponse = z.infer<typeof ExportResponse>;

/**
 * An export request of this key settled for good (POST API.settleExport), asked by a client whose export got no
 * answer: `exported`, the export its requestId moved, proven as the export's own answer was; `closed`, none was made
 * under it, and none will be: the request landing later (held up on its way) is refused (409), nothing moved. An
 * answer, not a 404, so that a proxy's or an older grid's 404 is never taken for "not carried out".
 */
export const ExportSettled = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('exported'), receipt: ProvenReceipt }),
    z.object({ kind: z.literal('closed') }),
  ])
  .meta({ id: 'ExportSettled' });
export type ExportSettled = z.infer<typeof ExportSettled>;

/** Other grids' proven export receipts addressed to this grid, presented by the volunteer they name (issue 19). */
export const ImportRequest = z
  .object({ receipts: z.array(z.unknown()).min(1).max(1000) })
  .meta({ id: 'ImportRequest' });
export type ImportRequest = z.infer<typeof ImportRequest>;

export const ImportResponse = z
  .object({
    accepted: z.number().int().nonnegative(),
    /** The credit they added to the volunteer's balance here. */
    credit: z.number().nonnegative(),
  })
  .meta({ id: 'ImportResponse' });
export type ImportResponse = z.infer<typeof ImportResponse>;

export const VolunteerStats = z
  .object({
    volunteer: VolunteerKey,
    leased: z.number().int().nonnegative(),
    returned: z.number().int().nonnegative(),
    valid: z.number().int().nonnegative(),
    invalid: z.number().int().nonnegative(),
    errors: z.number().int().nonnegative(),
    pending: z.number().int().nonnegative(),
    credit: z.number().nonnegative(),
    /** What the key's own jobs cost it so far, and the credit it moved to other grids (its debits and exports). */
    spent: z.number().nonnegative(),
    /** Credit earned on jobs the key paid for itself: kept, not spendable. */
    unspendable: z.number().nonnegative(),
    /** credit − unspendable − spent: what the key's jobs may still cost, or it may move to another grid. */
    balance: z.number(),
    /** The key's personal project, whose jobs its balance pays for; null until it opens one. */
    fundedProject: ProjectId.nullable(),
    /** Validated results since the key last lost trust, as of the latest (they fade with time: the coordinator's rules/reputation.ts). */
    consecutiveValid: z.number().int().nonnegative(),
    /** The key no longer votes: it failed a known answer, or was wrong too often; its results count towards no quorum. */
    flagged: z.boolean(),
  })
  .meta({ id: 'VolunteerStats' });
export type VolunteerStats = z.infer<typeof VolunteerStats>;

export { WorkUnitId };
