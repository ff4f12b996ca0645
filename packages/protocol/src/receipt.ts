// Receipts: the signed record of one credit, kept by the volunteer and logged publicly. Every object here
// is strict: a field the schema does not name would be covered by no signature, yet travel with a document
// that verified, so it is refused rather than dropped.
import { z } from 'zod';
import { BlobHash, Ed25519Signature as Signature, JobId, ProjectId, VolunteerKey, WorkUnitId } from './ids';
const Hash = z.string().regex(/^[0-9a-f]{64}$/);

/** What every entry of the log starts with: its kind, and where it sits. */
const entry = <T extends string>(type: T) => ({
  v: z.literal(1),
  type: z.literal(type),
  /** The coordinator's public key: which log this entry belongs to. */
  log: z.string(),
  /** Position in the log; the leaf index of its inclusion proof. */
  index: z.number().int().nonnegative(),
});
/** The work unit an entry is about. */
const unit = { project: ProjectId, job: JobId, workUnit: WorkUnitId };
/** Milliseconds since the epoch at which the entry was made (for a credit or a debit: the unit was validated). */
const at = z.number().int();

/**
 * A credit: a validated result earned its volunteer `credit`. Its canonical JSON is both what is signed and
 * what the Merkle leaf hashes.
 */
export const CreditBody = z
  .strictObject({
    ...entry('credit'),
    volunteer: VolunteerKey,
    ...unit,
    outputHash: BlobHash,
    credit: z.number().positive(),
    at,
    /**
     * The volunteer key that paid for the job, when a volunteer did (a personal project). Credit for work on
     * a job the same key paid for is kept but cannot be spent (`wallet.ts`).
     */
    funder: VolunteerKey.optional(),
  })
  .meta({ id: 'CreditBody' });
export type CreditBody = z.infer<typeof CreditBody>;

/**
 * A debit: a validated work unit of a volunteer-funded job cost its funder (`volunteer`) `debit`, the job's
 * cost per work unit for each of the `replicas` it took. In the same log as the credits, signed the same way,
 * so that a balance is a fact anyone can recompute from the log.
 */
export const DebitBody = z
  .strictObject({
    ...entry('debit'),
    /** The funder: the key whose balance paid. */
    volunteer: VolunteerKey,
    ...unit,
    replicas: z.number().int().positive(),
    debit: z.number().positive(),
    at,
  })
  .meta({ id: 'DebitBody' });
export type DebitBody = z.infer<typeof DebitBody>;

/** A coordinator's public key, which names its log: 32 bytes of Ed25519 in unpadded base64url. */
export const LogKey = z
  .string()
  .regex(/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/, "expected a coordinator's 32-byte Ed25519 public key in base64url");

/**
 * An export: credit the volunteer `volunteer` moved out of this grid, to the grid whose log is `to` (its
 * coordinator's public key). A debit here, of `debit`, in the same log as the credits; the grid `to` credits it once,
 * as an import, when the volunteer presents this receipt there. Addressed to one grid, it is spendable on no other,
 * and no longer here.
 */
export const ExportBody = z
  .strictObject({
    ...entry('export'),
    volunteer: VolunteerKey,
    to: LogKey,
    debit: z.number().positive(),
    at,
  })
  .meta({ id: 'ExportBody' });
export type ExportBody = z.infer<typeof ExportBody>;

/**
 * An import: credit another grid's log granted the volunteer it names (`volunteer`), credited here once. `from` and
 * `fromIndex` name the receipt in its own log, where anyone can check that it exists: an export addressed to this
 * grid (its amount is `credit`; no work unit), or, in entries made before exports existed, a credit receipt (its
 * `project`, `job`, `workUnit` and `credit` copied).
 */
export const ImportBody = z
  .strictObject({
    ...entry('import'),
    volunteer: VolunteerKey,
    /** The other grid's log (its coordinator's public key). */
    from: z.string(),
    fromIndex: z.number().int().nonnegative(),
    project: unit.project.optional(),
    job: unit.job.optional(),
    workUnit: unit.workUnit.optional(),
    credit: z.number().positive(),
    at,
  })
  .meta({ id: 'ImportBody' });
export type ImportBody = z.infer<typeof ImportBody>;

/** The signed body of a log entry: a credit, a debit, credit moved to another grid, or credit moved in from one. */
export const ReceiptBody = z
  .discriminatedUnion('type', [CreditBody, DebitBody, ExportBody, ImportBody])
  .meta({ id: 'ReceiptBody' });
export type ReceiptBody = z.infer<typeof ReceiptBody>;

export const Receipt = z.strictObject({ body: ReceiptBody, signature: Signature }).meta({ id: 'Receipt' });
export type Receipt = z.infer<typeof Receipt>;

export const TreeHead = z
  .strictObject({
    log: z.string(),
    size: z.number().int().nonnegative(),
    root: Hash,
    at: z.number().int(),
  })
  .meta({ id: 'TreeHead' });
export type TreeHead = z.infer<typeof TreeHead>;
export const SignedTreeHead = z.strictObject({ head: TreeHead, signature: Signature }).meta({ id: 'SignedTreeHead' });
export type SignedTreeHead = z.infer<typeof SignedTreeHead>;

export const InclusionProof = z
  .strictObject({
    index: z.number().int().nonnegative(),
    size: z.number().int().positive(),
    path: z.array(Hash).max(64),
  })
  .meta({ id: 'InclusionProof' });
export type InclusionProof = z.infer<typeof InclusionProof>;

export const ConsistencyProof = z
  .strictObject({
    from: z.number().int().nonnegative(),
    to: z.number().int().nonnegative(),
    path: z.array(Hash).max(128),
  })
  .meta({ id: 'ConsistencyProof' });
export type ConsistencyProof = z.infer<typeof ConsistencyProof>;

/** A receipt with everything needed to check it offline: the one file a volunteer keeps or exports. */
export const ProvenReceipt = z
  .strictObject({
    receipt: Receipt,
    proof: InclusionProof,
    treeHead: SignedTreeHead,
  })
  .meta({ id: 'ProvenReceipt' });
export type ProvenReceipt = z.infer<typeof ProvenReceipt>;

export const ReceiptsPage = z
  .object({
    receipts: z.array(ProvenReceipt),
    /** Pass as `after` to get the next page; null when there is none yet. */
    next: z.number().int().nullable(),
  })
  .meta({ id: 'ReceiptsPage' });
export type ReceiptsPage = z.infer<typeof ReceiptsPage>;

export const WellKnown = z
  .object({
    name: z.string(),
    version: z.string(),
    publicKey: z.string(),
    api: z.string(),
    log: z.object({ treeHead: z.string(), inclusion: z.string(), consistency: z.string() }),
    /**
     * Whether volunteers may meet each other (the coordinator's PEERS setting): off, it hands out no peer room and
     * the page neither asks for one nor says it connects to peers. Optional: older coordinators do not say.
     */
    peers: z.boolean().optional(),
    /**
     * The other grids' logs (their coordinators' keys) this grid honours (its HONOURED_LOGS setting): it credits
     * their exports addressed to it, and moves credit only to them. Optional: older coordinators do not say.
     */
    honouredLogs: z.array(z.string()).optional(),
  })
  .meta({ id: 'WellKnown' });
export type WellKnown = z.infer<typeof WellKnown>;
