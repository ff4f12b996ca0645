// The volunteer's database: its layout at each version and the steps that upgrade one version to the
// next. A browser may hold a database written by any earlier release; opening it runs the missing steps
// inside the upgrade transaction, so an interrupted upgrade leaves the old version intact.
import { netCredit, type ProvenReceipt, type SubmittedResult } from '@bricolage/protocol';
import { type DBSchema, type IDBPDatabase, type IDBPTransaction, openDB, type StoreNames, unwrap } from 'idb';
import { type ProjectTally, tallied } from './tally';

export const DB_NAME = 'bricolage';
export const DB_VERSION = 6;

/** The volunteer's key pair; the private key is extractable only so that it can be backed up. */
export interface StoredIdentity {
  readonly publicKey: string;
  readonly privateKey: CryptoKey;
  readonly createdAt: number;
  /** Set when the key came from a backup file. */
  readonly restoredAt?: number;
}

export type CheckAgainst = 'stored' | 'current';

/** The outcome of the last verification of a receipt. */
export interface ReceiptCheck {
  readonly at: number;
  readonly ok: boolean;
  readonly message: string;
  /** `stored`: against the tree head it came with; `current`: against the log's newest signed tree head. */
  readonly against: CheckAgainst;
  /** Size of the tree head it was checked against. */
  readonly treeSize: number;
}

/** A receipt as kept: the proven receipt itself, with its body's fields copied out for the indexes. */
export interface StoredReceipt {
  /** `${log}/${index}`: a log position holds one receipt. */
  readonly id: string;
  readonly log: string;
  readonly index: number;
  readonly volunteer: string;
  /** The entry's project, job and work unit; '' for credit moved between grids (an export, or the import of one). */
  readonly project: string;
  readonly job: string;
  readonly workUnit: string;
  readonly credit: number;
  /** When the work unit was validated, or the credit moved (ms since the epoch). */
  readonly at: number;
  readonly proven: ProvenReceipt;
  readonly storedAt: number;
  readonly check: ReceiptCheck;
}

/** A computed result waiting for the coordinator; the shape of the runtime's `OutboxEntry`. */
export interface StoredOutboxEntry {
  readonly id: string;
  readonly result: SubmittedResult;
  readonly createdAt: number;
  /** Deliveries that failed because of this entry alone; absent (as version 3 wrote it) means none. */
  readonly failures?: number;
}

/** A result taken out of delivery after failing too often; the shape of the runtime's `SetAsideEntry`. */
export interface StoredSetAsideEntry extends StoredOutboxEntry {
  readonly reason: { readonly code: string; readonly message: string };
  readonly setAsideAt: number;
}

/** Another coordinator this volunteer serves from the same tab (several grids), as the volunteer added it. */
export interface GridSetting {
  /** Its origin (`https://host[:port]`): also names the database that keeps its outbox and receipts. */
  readonly url: string;
  /** Its public key as first read (trusted on first use): its receipts are verified against this key. */
  readonly key: string;
  /** Resource share, a positive integer weight (the home coordinator's is `homeShare`). */
  readonly share: number;
  /** The projects served there; null: every project. */
  readonly servedProjects: readonly string[] | null;
  /**
   * Removed while its outbox still held results: it computes no more and is forgotten once they are delivered (or
   * refused, or set aside). Absent from what earlier versions saved, and from a grid being served: not leaving.
   */
  readonly leaving?: true;
}

export interface Settings {
  /** Duty cycle in percent, 10–100. */
  readonly throttle: number;
  readonly pauseWhenHidden: boolean;
  readonly pauseOnBattery: boolean;
  /** The coordinator key first seen at this origin: receipts are checked against it. */
  readonly coordinatorKey: string | null;
  /**
   * When the reader agreed to compute for the site that embeds the widget (ms since the epoch); null when they
   * have not, or withdrew. Only the widget's frame sets it: its database is one per host site.
   */
  readonly consentedAt: number | null;
  /**
   * The projects this volunteer chose to serve; null until it first chooses: every project. Once it has
   * chosen, a project that appears later is not served until it is ticked.
   */
  readonly servedProjects: readonly string[] | null;
  /** Other coordinators served from this tab, in the order added. */
  readonly grids: readonly GridSetting[];
  /** The home coordinator's resource share (the one that served the page). */
  readonly homeShare: number;
  /**
   * Each project's signing key as this volunteer first saw it (project id → key; trusted on first use): its jobs
   * run only when signed by that key, whatever the coordinator lists on a later visit.
   */
  readonly projectKeys: Readonly<Record<string, string>>;
}

export const DEFAULT_SETTINGS: Settings = {
  throttle: 100,
  pauseWhenHidden: true,
  pauseOnBattery: true,
  coordinatorKey: null,
  consentedAt: null,
  servedProjects: null,
  grids: [],
  homeShare: 100,
  projectKeys: {},
};

export type SettingKey = keyof Settings;

/** The current layout (`DB_VERSION`), as `idb` types it. */
export interface BricolageDB extends DBSchema {
  identity: { key: 'self'; value: StoredIdentity };
  receipts: {
    key: string;
    value: StoredReceipt;
    indexes: { 'by-project': string; 'by-time': number; 'by-job': string; 'by-log-index': [string, number] };
  };
  outbox: { key: string; value: StoredOutboxEntry; indexes: { 'by-created': number } };
  /** Results set aside from the outbox: kept, with why, never delivered again. */
  'set-aside': { key: string; value: StoredSetAsideEntry; indexes: { 'by-set-aside': number } };
  settings: { key: SettingKey; value: Settings[SettingKey] };
  tallies: { key: string; value: ProjectTally };
}

/** The name the package has always published the layout under. */
export type VolunteerSchema = BricolageDB;

/** Version 1 kept each receipt as `{ id, proven, storedAt }` and indexed it by project only. */
export interface ReceiptV1 {
  readonly id: string;
  readonly project: string;
  readonly proven: ProvenReceipt;
  readonly storedAt: number;
}

type UpgradeTransaction = IDBPTransaction<BricolageDB, StoreNames<BricolageDB>[], 'versionchange'>;
type Step = (db: IDBPDatabase<BricolageDB>, tx: UpgradeTransaction) => Promise<void>;

/** The stored record of a proven receipt: its body's fields copied out so they can be indexed. */
export function receiptRecord(proven: ProvenReceipt, storedAt: number, check: ReceiptCheck): StoredReceipt {
  const body = proven.receipt.body;
  // Credit moved between grids (an export, or the import of one) is of no work unit: '' for each.
  const unit = body.type === 'export' ? null : body;
  return {
    id: `${body.log}/${body.index}`,
    log: body.log,
    index: body.index,
    volunteer: body.volunteer,
    project: unit?.project ?? '',
    job: unit?.job ?? '',
    workUnit: unit?.workUnit ?? '',
    // A debit (the volunteer's own job paid) or an export (credit moved to another grid) counts against the credit.
    credit: netCredit(body),
    at: body.at,
    proven,
    storedAt,
    check,
  };
}

/** `STEPS[v - 1]` upgrades version v − 1 to v. Never edit a released step: add the next one. */
export const STEPS: readonly Step[] = [
  // 1: identity, receipts by project, outbox, settings.
  async (db) => {
    db.createObjectStore('identity');
    db.createObjectStore('receipts', { keyPath: 'id' }).createIndex('by-project', 'project');
    db.createObjectStore('outbox', { keyPath: 'id' });
    db.createObjectStore('settings');
  },
  // 2: receipts carry their body's fields and last check, indexed by time, job and log position;
  // the outbox is read oldest first.
  async (_db, tx) => {
    const receipts = tx.objectStore('receipts');
    receipts.createIndex('by-time', 'at');
    receipts.createIndex('by-job', 'job');
    receipts.createIndex('by-log-index', ['log', 'index'], { unique: true });
    tx.objectStore('outbox').createIndex('by-created', 'createdAt');
    // The records are still as version 1 wrote them: the schema type describes what they become.
    const old = (await receipts.getAll()) as unknown as ReceiptV1[];
    const writes: Promise<unknown>[] = [];
    for (const record of old) {
      // Version 1 stored only receipts that verified, against the head they came with.
      const upgraded = receiptRecord(record.proven, record.storedAt, {
        at: record.storedAt,
        ok: true,
        message: 'verified when stored',
        against: 'stored',
        treeSize: record.proven.treeHead.head.size,
      });
      if (record.id !== upgraded.id) writes.push(receipts.delete(record.id));
      writes.push(receipts.put(upgraded));
    }
    await Promise.all(writes);
  },
  // 3: per-project tallies of receipts, credit and failed checks, counted once from the receipts already kept.
  async (db, tx) => {
    db.createObjectStore('tallies', { keyPath: 'project' });
    await countTallies(tx);
  },
  // 4: results the coordinator kept failing on are set aside here, out of the outbox's queue. The outbox's
  // entries stay as they are: one without a failure count has had none.
  async (db) => {
    db.createObjectStore('set-aside', { keyPath: 'id' }).createIndex('by-set-aside', 'setAsideAt');
  },
  // 5: tallies keep credit earned and credit spent apart (version 3's counted a debit as a receipt and netted its
  // cost against the credit): counted again from the entries kept.
  async (_db, tx) => {
    await tx.objectStore('tallies').clear();
    await countTallies(tx);
  },
  // 6: tallies also count, of the entries whose last verification failed, the receipts of work, their credit and
  // what the failed debits cost (version 5's counted only how many failed, of either kind), so that what still
  // holds can be told from them: counted again from the entries kept.
  async (_db, tx) => {
    await tx.objectStore('tallies').clear();
    await countTallies(tx);
  },
];

/** Writes the tallies of the receipts kept, counted afresh (into an empty `tallies` store). */
async function countTallies(tx: UpgradeTransaction): Promise<void> {
  const tallies = new Map<string, ProjectTally>();
  for (const record of await tx.objectStore('receipts').getAll())
    tallies.set(record.project, tallied(tallies.get(record.project), record, 1));
  await Promise.all([...tallies.values()].map((t) => tx.objectStore('tallies').put(t)));
}

/**
 * Opens (creating or upgrading) the database through `idb`, typed by `BricolageDB`. `version` below the
 * current one exists for the test that writes a database as an older release did.
 */
export function openBricolageDB(
  name = DB_NAME,
  version = DB_VERSION,
  onBlocked: () => void = () => undefined,
): Promise<IDBPDatabase<BricolageDB>> {
  if (version < 1 || version > STEPS.length) throw new RangeError(`no schema version ${version}`);
  // A failed step aborts the upgrade, which fails the open request with an AbortError; the step's own
  // error is the one worth reporting.
  let failed: { readonly error: unknown } | null = null;
  return openDB<BricolageDB>(name, version, {
    upgrade(db, oldVersion, newVersion, tx) {
      runSteps(db, tx, oldVersion, newVersion ?? version).catch((error: unknown) => {
        failed = { error };
        // The abort is reported through the open request, below.
        tx.done.catch(() => undefined);
        abortUnlessFinished(tx);
      });
    },
    blocked: onBlocked,
  }).catch((error: unknown) => {
    throw failed ? failed.error : error;
  });
}

/**
 * Runs the missing steps one after another inside the version-change transaction, which stays open
 * while each step waits only on IndexedDB requests.
 */
async function runSteps(db: IDBPDatabase<BricolageDB>, tx: UpgradeTransaction, from: number, to: number) {
  for (let v = from + 1; v <= to; v++) await (STEPS[v - 1] as Step)(db, tx);
}

/** Aborts `tx`; one that has already committed or aborted is left as it is. */
export function abortUnlessFinished(tx: { abort(): void }): void {
  try {
    tx.abort();
  } catch (error) {
    // InvalidStateError: the transaction finished first, and the error that led here is the one to report.
    if (!(error instanceof DOMException && error.name === 'InvalidStateError')) throw error;
  }
}

/**
 * Opens the database as `openBricolageDB` does and hands back the plain `IDBDatabase`, for callers
 * (such as tests writing an older version's records) that work below the typed schema.
 */
export function openDatabase(
  name = DB_NAME,
  version = DB_VERSION,
  onBlocked: () => void = () => undefined,
): Promise<IDBDatabase> {
  return openBricolageDB(name, version, onBlocked).then((db) => unwrap(db));
}
