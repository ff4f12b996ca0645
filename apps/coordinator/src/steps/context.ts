// What every step of a work unit's life is handed: the transaction it runs in, the changes it gathers
// (written once, at the end: changes.ts), the time, chance, and the jobs' definitions. Created per
// transaction and passed explicitly; nothing here outlives it but the catalog, which holds only what never
// changes.
import type { JobDefinition, JobId, ProjectId, VolunteerKey } from '@bricolage/protocol';
import type { Random } from '../clock';
import type { SeparationPolicy } from '../rules/assignment';
import type { CreditPolicy } from '../rules/credit';
import type { LeaseRoomPolicy } from '../rules/lease-limits';
import type { Tx } from '../store/persistence';
import type { JobRecord } from '../store/records';
import type { Changes } from './changes';

export interface StepLimits {
  /** Upper bound on leases one volunteer may hold at once. */
  readonly maxLeasesPerVolunteer: number;
  /** What else bounds a key's leases: a new key's room, its growth with validated results, one address's ceiling. */
  readonly leaseRoom: Omit<LeaseRoomPolicy, 'perKey'>;
  /** Which keys may not hold replicas of one unit together (rules/assignment.ts). */
  readonly separation: SeparationPolicy;
  /** Whether a client address is the operator's own: exempt from separation and the lease room (SEPARATION_EXEMPT). */
  readonly exempt: (address: string) => boolean;
  /** Inputs up to this size travel inside the lease. */
  readonly inlineInputBytes: number;
  /**
   * Inputs carried in one lease answer, in all. A lease grants no more units whose input travels inline than
   * fit in it: past it each would cost the volunteer a blob GET, and the per-address limit on those is sized
   * for inputs too large to travel inline (a fast tab given 2,048 units of 12 KB ran into it at once and
   * skipped the units it could not fetch). A fast device leases again instead, one request per budget.
   */
  readonly inlineLeaseBytes: number;
  /** What a validated result may earn per second its lease was held (rules/credit.ts). */
  readonly credit: CreditPolicy;
}

export interface StepContext {
  readonly tx: Tx;
  readonly changes: Changes;
  readonly now: number;
  readonly random: Random;
  readonly catalog: JobCatalog;
  readonly limits: StepLimits;
  /** The coordinator's public key, which every receipt names as its log. */
  readonly logKey: string;
}

/** A job's parts that never change once it is created. */
export interface JobFacts {
  readonly id: JobId;
  readonly project: ProjectId;
  readonly definition: JobDefinition;
  readonly createdAt: number;
  /** The volunteer key paying for the job (its project is the key's personal project), or null. */
  readonly funder: VolunteerKey | null;
}

/**
 * Job definitions, parsed once per process: they never change, so every coordinator of a grid may cache
 * them; a job's state does change (another process may pause it) and is always read in the transaction.
 */
export class JobCatalog {
  readonly #facts = new Map<JobId, JobFacts>();

  async facts(tx: Tx, id: JobId): Promise<JobFacts | null> {
    const known = this.#facts.get(id);
    if (known) return known;
    const stored = await tx.jobDefinition(id);
    const state = stored && (await tx.jobState(id));
    if (!stored || !state) return null;
    const facts: JobFacts = {
      id,
      project: state.project,
      definition: JSON.parse(stored.json) as JobDefinition,
      createdAt: stored.createdAt,
      funder: await tx.funderOf(state.project),
    };
    this.#facts.set(id, facts);
    return facts;
  }

  /** For a job that must exist (a row of ours names it). */
  async require(tx: Tx, id: JobId): Promise<JobFacts> {
    const facts = await this.facts(tx, id);
    if (!facts) throw new Error(`unknown job ${id}`);
    return facts;
  }

  /** The job as the routes show it: its facts, and its state as this transaction reads it (that one changes). */
  async record(tx: Tx, id: JobId): Promise<JobRecord | null> {
    const state = await tx.jobState(id);
    const facts = state && (await this.facts(tx, id));
    return state && facts ? { ...facts, state: state.state } : null;
  }

  /** Every job of `project`, as `record` reads each. */
  async recordsOf(tx: Tx, project: ProjectId): Promise<JobRecord[]> {
    const jobs: JobRecord[] = [];
    for (const id of await tx.jobIds({ project })) {
      const job = await this.record(tx, id);
      if (job) jobs.push(job);
    }
    return jobs;
  }
}
