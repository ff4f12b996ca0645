// One transaction's changes, gathered while its steps decide and written once at the end (write.ts):
// each work unit and replica once with only the columns that changed, each volunteer's and each job's
// counters in one statement, and the receipts appended to the log last, where its single appender lock is
// held the shortest. Created per transaction and passed to every step in its StepContext.
import type { JobId, LeaseNumber, VolunteerKey, WorkUnitNumber } from '@bricolage/protocol';
import {
  type Folded,
  type Folding,
  foldMore,
  type Standing,
  type StandingEvent,
  standingAt,
  startFolding,
} from '../rules/standing';
import type {
  JobDelta,
  ReplicaChange,
  StoredStanding,
  VolunteerDelta,
  VolunteerRecord,
  WorkUnitChange,
  WorkUnitRecord,
} from '../store/records';
import type { Credit, Debit, Export, Import, LogEntry } from './log-entries';

interface VolunteerTally {
  leased: number;
  returned: number;
  /** Results left waiting for a verdict by this transaction, less the waiting ones it judged. */
  pending: number;
  errors: number;
  valid: number;
  invalid: number;
  credit: number;
  /** Debits of the key's own jobs. */
  spent: number;
  /** Credit earned on jobs the key itself pays for. */
  ownCredit: number;
  /** What this transaction's verdicts said of the key, in order (rules/standing.ts). */
  events: StandingEvent[];
  /** Its standing as folded on its row locked at commit (`foldStandings`). */
  standing: Standing | null;
}

// A known-answer unit found suspect finishes too: it takes a later result place, where its researcher sees why.
const FINISHED = new Set(['validated', 'failed', 'suspect']);

export class Changes {
  readonly #units = new Map<WorkUnitNumber, { record: WorkUnitRecord; set: WorkUnitChange }>();
  readonly #replicas = new Map<LeaseNumber, ReplicaChange>();
  readonly #volunteers = new Map<VolunteerKey, VolunteerTally>();
  /** Standings read in this transaction, before its own verdicts. */
  readonly #stored = new Map<VolunteerKey, StoredStanding>();
  /**
   * Each key's verdicts folded so far on its stored standing, as of one moment and one count of events: a batch
   * of a key's results then folds each verdict once (rules/standing.ts `foldMore`).
   */
  readonly #folded = new Map<VolunteerKey, { now: number; events: number; folding: Folding }>();
  /** Keys that failed a known answer in this transaction: they stopped voting, whatever their row says yet. */
  readonly #silenced = new Set<VolunteerKey>();
  readonly #jobs = new Map<
    JobId,
    { credit: number; finished: WorkUnitNumber[]; withdrawn: number; confirmed: number }
  >();
  readonly #entries: LogEntry[] = [];
  /** Jobs whose units or state this transaction changed: their progress streams are told after commit. */
  readonly touched = new Set<JobId>();

  /** The work unit as this transaction has left it so far (or as read, if untouched). */
  unit(read: WorkUnitRecord): WorkUnitRecord {
    return this.#units.get(read.id)?.record ?? read;
  }

  /** Changes a work unit; returns it as it now is. A unit that validates or fails takes a result place. */
  setUnit(read: WorkUnitRecord, set: WorkUnitChange): WorkUnitRecord {
    const entry = this.#units.get(read.id);
    const before = entry?.record ?? read;
    const record = { ...before, ...set } as WorkUnitRecord;
    this.#units.set(read.id, { record, set: { ...entry?.set, ...set } });
    if (set.state && FINISHED.has(set.state) && !FINISHED.has(before.state)) this.#job(read.job).finished.push(read.id);
    this.touched.add(read.job);
    return record;
  }

  setReplica(id: LeaseNumber, set: ReplicaChange): void {
    this.#replicas.set(id, { ...this.#replicas.get(id), ...set });
  }

  replicaChange(id: LeaseNumber): ReplicaChange | undefined {
    return this.#replicas.get(id);
  }

  /** The volunteer's running tally in this transaction. */
  volunteer(key: VolunteerKey): VolunteerTally {
    let tally = this.#volunteers.get(key);
    if (!tally) {
      tally = {
        leased: 0,
        returned: 0,
        pending: 0,
        errors: 0,
        valid: 0,
        invalid: 0,
        credit: 0,
        spent: 0,
        ownCredit: 0,
        events: [],
        standing: null,
      };
      this.#volunteers.set(key, tally);
    }
    return tally;
  }

  /** Makes a key's stored standing known, so that verdicts on it can consult it (`standing`). */
  know(record: VolunteerRecord): void {
    if (!this.#stored.has(record.key)) this.#stored.set(record.key, record.standing);
  }

  /** Records a verdict on the key; returns its standing after this transaction's verdicts so far, if known. */
  verdict(key: VolunteerKey, event: StandingEvent, now: number): Folded | null {
    const tally = this.volunteer(key);
    tally.events.push(event);
    if (event.kind === 'known_answer_failed') this.#silenced.add(key);
    return this.#fold(key, now);
  }

  /** Whether the key's results count towards quorums: `stored`, as its row said, unless it stopped here. */
  votes(key: VolunteerKey, stored: boolean, now: number): boolean {
    if (this.#silenced.has(key)) return false;
    return this.#fold(key, now)?.standing.reputation.voting ?? stored;
  }

  /** The key's stored standing with this transaction's verdicts on it folded at `now`; null if not known. */
  #fold(key: VolunteerKey, now: number): Folding | null {
    const stored = this.#stored.get(key);
    if (!stored) return null;
    const events = this.volunteer(key).events;
    // Events are only ever appended, so a fold at the same moment goes on from where it stopped.
    const cached = this.#folded.get(key);
    const folding =
      cached?.now === now
        ? foldMore(cached.folding, events.slice(cached.events), now)
        : foldMore(startFolding(standingAt(stored, now)), events, now);
    this.#folded.set(key, { now, events: events.length, folding });
    return folding;
  }

  /** Keys whose standing this transaction's verdicts moved, sorted (the lock order), with their events. */
  judged(): [VolunteerKey, VolunteerTally][] {
    return [...this.#volunteers]
      .filter(([, t]) => t.events.length > 0)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** A credit for the log, and the job's share of it. */
  credit(credit: Omit<Credit, 'kind'>): void {
    this.#entries.push({ kind: 'credit', ...credit });
    this.#job(credit.job).credit += credit.amount;
  }

  /** Another grid's credit, honoured here: for the log and its volunteer's credit. */
  imported(entry: Omit<Import, 'kind'>): void {
    this.#entries.push({ kind: 'import', ...entry });
    this.volunteer(entry.volunteer).credit += entry.amount;
  }

  /** Credit a volunteer moves to another grid: an entry of the log, and spent from its balance here. */
  exported(entry: Omit<Export, 'kind'>): void {
    this.#entries.push({ kind: 'export', ...entry });
    this.volunteer(entry.volunteer).spent += entry.amount;
  }

  /** A debit of a volunteer-funded job's funder, for the log and its counters. */
  debit(debit: Omit<Debit, 'kind'>): void {
    this.#entries.push({ kind: 'debit', ...debit });
    this.volunteer(debit.funder).spent += debit.amount;
  }

  #job(id: JobId) {
    let job = this.#jobs.get(id);
    if (!job) {
      job = { credit: 0, finished: [], withdrawn: 0, confirmed: 0 };
      this.#jobs.set(id, job);
    }
    return job;
  }

  /** The jobs whose counters change: sorted, the order every transaction locks them in. */
  jobDeltas(): JobDelta[] {
    return [...this.#jobs]
      .map(([job, d]) => ({ job, credit: d.credit, finished: d.finished.length }))
      .sort((a, b) => (a.job < b.job ? -1 : a.job > b.job ? 1 : 0));
  }

  /** Gives the job's finished units the result places up to `last`, in the order they finished. */
  placeResults(job: JobId, last: number): void {
    const finished = this.finishedIn(job);
    let seq = last - finished.length;
    for (const id of finished) {
      const entry = this.#units.get(id) as { record: WorkUnitRecord; set: WorkUnitChange };
      entry.set = { ...entry.set, resultSeq: ++seq };
    }
  }

  /** A validated unit of the job taken back from its results (validate.ts `withdraw`): the job is open again. */
  withdrawn(job: JobId): void {
    this.#job(job).withdrawn++;
    this.touched.add(job);
  }

  withdrawnIn(job: JobId): number {
    return this.#jobs.get(job)?.withdrawn ?? 0;
  }

  /** A unit of the job under re-check got its quorum back (validate.ts `judgeLate`): the job may be complete. */
  confirmed(job: JobId): void {
    this.#job(job).confirmed++;
  }

  confirmedIn(job: JobId): number {
    return this.#jobs.get(job)?.confirmed ?? 0;
  }

  finishedIn(job: JobId): readonly WorkUnitNumber[] {
    return this.#jobs.get(job)?.finished ?? [];
  }

  unitChanges() {
    return [...this.#units].map(([id, e]) => ({ id, set: e.set }));
  }

  replicaChanges() {
    return [...this.#replicas].map(([id, set]) => ({ id, set }));
  }

  /** Sorted by key: the order every transaction locks volunteers in. */
  volunteerDeltas(): VolunteerDelta[] {
    return [...this.#volunteers]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, t]) => ({
        key,
        leased: t.leased,
        returned: t.returned,
        pending: t.pending,
        errors: t.errors,
        valid: t.valid,
        invalid: t.invalid,
        credit: t.credit,
        spent: t.spent,
        ownCredit: t.ownCredit,
        standing: t.standing,
      }));
  }

  get entries(): readonly LogEntry[] {
    return this.#entries;
  }
}
