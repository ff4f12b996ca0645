// The volunteer's store: identity, verified receipts, the outbox of unsubmitted results and settings,
// all in one IndexedDB database so that they survive reloads and browser restarts.
import { generateSigningKeyPair, type ProvenReceipt, verifyReceipt } from '@bricolage/protocol';
import type { IDBPDatabase } from 'idb';
import {
  abortUnlessFinished,
  type BricolageDB,
  type CheckAgainst,
  DB_NAME,
  DEFAULT_SETTINGS,
  openBricolageDB,
  type Settings,
  type SettingKey,
  type StoredIdentity,
  type StoredOutboxEntry,
  type StoredReceipt,
  type StoredSetAsideEntry,
  receiptRecord,
} from './schema';
import { type HeldTotals, heldTotals, type ProjectTally, tallied } from './tally';

/** Why a receipt was not stored: its position in what was offered, and a sentence a person can read. */
export interface Rejection {
  readonly position: number;
  readonly workUnit: string | null;
  readonly message: string;
}

export interface AddOutcome {
  readonly added: number;
  readonly alreadyHere: number;
  readonly rejected: readonly Rejection[];
}

export class VolunteerStore {
  readonly #db: IDBPDatabase<BricolageDB>;
  #closed = false;

  private constructor(db: IDBPDatabase<BricolageDB>) {
    this.#db = db;
    // Another tab upgrading the schema, or site data being cleared: let go so it can proceed.
    db.onversionchange = () => this.close();
  }

  /** Opens the database named `name` (one per volunteer page origin), upgrading it when it is older. */
  static async open(name = DB_NAME): Promise<VolunteerStore> {
    return new VolunteerStore(await openBricolageDB(name));
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  // identity

  async identity(): Promise<StoredIdentity | null> {
    return (await this.#db.get('identity', 'self')) ?? null;
  }

  /** The stored identity, or a new one (extractable, so that it can be backed up) when there is none. */
  async ensureIdentity(now = Date.now()): Promise<StoredIdentity> {
    const existing = await this.identity();
    if (existing) return existing;
    const pair = await generateSigningKeyPair(true);
    const fresh: StoredIdentity = { publicKey: pair.publicKeyText, privateKey: pair.privateKey, createdAt: now };
    // Two tabs may race here: the first key written wins and both use it.
    const tx = this.#db.transaction('identity', 'readwrite');
    return committed(tx, async () => {
      const raced = await tx.store.get('self');
      if (raced) return raced;
      await tx.store.put(fresh, 'self');
      return fresh;
    });
  }

  /** Replaces the identity (a restored backup). Receipts of the previous key stay where they are. */
  async replaceIdentity(identity: StoredIdentity): Promise<void> {
    await this.#db.put('identity', identity, 'self');
  }

  // settings

  async settings(): Promise<Settings> {
    const keys = Object.keys(DEFAULT_SETTINGS) as SettingKey[];
    const tx = this.#db.transaction('settings');
    const values = await committed(tx, () => Promise.all(keys.map((key) => tx.store.get(key))));
    const merged: Record<string, unknown> = { ...DEFAULT_SETTINGS };
    keys.forEach((key, i) => {
      if (values[i] !== undefined) merged[key] = values[i];
    });
    return merged as unknown as Settings;
  }

  async saveSettings(patch: Partial<Settings>): Promise<void> {
    const tx = this.#db.transaction('settings', 'readwrite');
    await committed(tx, async () => {
      for (const [key, value] of Object.entries(patch)) {
        if (value !== undefined) await tx.store.put(value as Settings[SettingKey], key as SettingKey);
      }
    });
  }

  /**
   * Keeps `key` as `project`'s signing key unless one is kept already (trusted on first use), in one transaction,
   * so that two tabs keeping two projects' keys at once both stay; returns the keys kept after it.
   */
  async keepProjectKey(project: string, key: string): Promise<Readonly<Record<string, string>>> {
    const tx = this.#db.transaction('settings', 'readwrite');
    return committed(tx, async () => {
      const kept = ((await tx.store.get('projectKeys')) as Settings['projectKeys'] | undefined) ?? {};
      if (kept[project] !== undefined) return kept;
      const more = { ...kept, [project]: key };
      await tx.store.put(more, 'projectKeys');
      return more;
    });
  }

  // receipts

  /**
   * Verifies each proven receipt against the coordinator's key and stores those that verify and belong
   * to `volunteer`. Nothing unverified is ever written.
   */
  async addReceipts(
    offered: readonly unknown[],
    coordinatorKey: string,
    volunteer: string,
    now = Date.now(),
  ): Promise<AddOutcome> {
    const verified: StoredReceipt[] = [];
    const rejected: Rejection[] = [];
    for (const [position, item] of offered.entries()) {
      const result = await verifyReceipt(item, coordinatorKey);
      const workUnit = workUnitOf(item);
      if (!result.ok) {
        rejected.push({ position, workUnit, message: result.error.message });
        continue;
      }
      const body = result.value;
      if (body.volunteer !== volunteer) {
        rejected.push({ position, workUnit, message: `the receipt credits another volunteer (${body.volunteer})` });
        continue;
      }
      const proven = item as ProvenReceipt;
      verified.push(
        receiptRecord(
          // Only the schema's fields: extra keys in an imported file are not kept.
          { receipt: { body, signature: proven.receipt.signature }, proof: proven.proof, treeHead: proven.treeHead },
          now,
          { at: now, ok: true, message: 'verified', against: 'stored', treeSize: proven.treeHead.head.size },
        ),
      );
    }
    let added = 0;
    let alreadyHere = 0;
    if (verified.length > 0) {
      const tx = this.#db.transaction(['receipts', 'tallies'], 'readwrite');
      const receipts = tx.objectStore('receipts');
      const tallies = tx.objectStore('tallies');
      await committed(tx, async () => {
        const changed = new Map<string, ProjectTally | undefined>();
        for (const record of verified) {
          if (await receipts.get(record.id)) {
            alreadyHere++;
            continue;
          }
          await receipts.put(record);
          added++;
          const before = changed.has(record.project) ? changed.get(record.project) : await tallies.get(record.project);
          changed.set(record.project, tallied(before, record, 1));
        }
        for (const tally of changed.values()) if (tally) await tallies.put(tally);
      });
    }
    return { added, alreadyHere, rejected };
  }

  /** Every receipt, newest first: for exports, backups and audits, which need them all. */
  async receipts(): Promise<StoredReceipt[]> {
    return (await this.#db.getAllFromIndex('receipts', 'by-time')).reverse();
  }

  /** The newest `limit` receipts, newest first, read without touching the others. */
  async recentReceipts(limit: number): Promise<StoredReceipt[]> {
    const out: StoredReceipt[] = [];
    if (limit <= 0) return out;
    const byTime = this.#db.transaction('receipts').store.index('by-time');
    for await (const cursor of byTime.iterate(null, 'prev')) {
      out.push(cursor.value);
      if (out.length >= limit) break;
    }
    return out;
  }

  receiptsOfProject(project: string): Promise<StoredReceipt[]> {
    return this.#db.getAllFromIndex('receipts', 'by-project', project);
  }

  receiptsOfJob(job: string): Promise<StoredReceipt[]> {
    return this.#db.getAllFromIndex('receipts', 'by-job', job);
  }

  /** The highest log index held for `volunteer` in `log`, or -1: where to resume fetching receipts. */
  async lastIndex(log: string, volunteer: string): Promise<number> {
    const positions = this.#db.transaction('receipts').store.index('by-log-index');
    const inLog = IDBKeyRange.bound([log, 0], [log, Number.MAX_SAFE_INTEGER]);
    for await (const cursor of positions.iterate(inLog, 'prev')) {
      if (cursor.value.volunteer === volunteer) return cursor.value.index;
    }
    return -1;
  }

  /** Receipts, credit and failed checks per project, kept as receipts are added and checked. */
  totals(): Promise<ProjectTally[]> {
    return this.#db.getAll('tallies');
  }

  /** The totals of the entries that still verify, over every project (`heldTotals` of `totals()`). */
  async heldTotals(): Promise<HeldTotals> {
    return heldTotals(await this.totals());
  }

  /** Records the outcome of re-verifying receipts (see `auditReceipts`). */
  async recordChecks(
    checks: ReadonlyMap<string, { ok: boolean; message: string; against: CheckAgainst; treeSize: number }>,
    now = Date.now(),
  ): Promise<void> {
    const tx = this.#db.transaction(['receipts', 'tallies'], 'readwrite');
    const receipts = tx.objectStore('receipts');
    const tallies = tx.objectStore('tallies');
    await committed(tx, async () => {
      for (const [id, check] of checks) {
        const record = await receipts.get(id);
        if (!record) continue;
        const updated: StoredReceipt = { ...record, check: { ...check, at: now } };
        await receipts.put(updated);
        if (record.check.ok !== updated.check.ok) {
          const tally = tallied(tallied(await tallies.get(record.project), record, -1), updated, 1);
          await tallies.put(tally);
        }
      }
    });
  }

  // outbox: the runtime's `Outbox` interface, durable

  readonly outbox = {
    put: (entry: StoredOutboxEntry): Promise<void> => this.outbox.putMany([entry]),
    /** One transaction for many results: short work units finish faster than a transaction each commits. */
    putMany: async (entries: readonly StoredOutboxEntry[]): Promise<void> => {
      const tx = this.#db.transaction(['outbox', 'set-aside'], 'readwrite');
      const outbox = tx.objectStore('outbox');
      const aside = tx.objectStore('set-aside');
      await committed(tx, async () => {
        // First one wins: a result already waiting (or set aside) for this lease is never replaced.
        for (const entry of entries)
          if (!(await outbox.get(entry.id)) && !(await aside.get(entry.id)))
            await outbox.put({ id: entry.id, result: entry.result, createdAt: entry.createdAt });
      });
    },
    peek: (limit: number): Promise<StoredOutboxEntry[]> =>
      limit <= 0 ? Promise.resolve([]) : this.#db.getAllFromIndex('outbox', 'by-created', null, limit),
    remove: async (ids: readonly string[]): Promise<void> => {
      const tx = this.#db.transaction('outbox', 'readwrite');
      await committed(tx, async () => {
        for (const id of ids) await tx.store.delete(id);
      });
    },
    size: (): Promise<number> => this.#db.count('outbox'),
    /**
     * How many results wait to be delivered and how many are set aside, read in one transaction (a retry or a set-aside
     * in another tab moves one between them: two reads could see it in neither), without reading their bytes.
     */
    counts: async (): Promise<{ undelivered: number; setAside: number }> => {
      const tx = this.#db.transaction(['outbox', 'set-aside'], 'readonly');
      const [undelivered, setAside] = await Promise.all([
        tx.objectStore('outbox').count(),
        tx.objectStore('set-aside').count(),
      ]);
      await tx.done;
      return { undelivered, setAside };
    },
    recordFailure: async (id: string): Promise<number> => {
      const tx = this.#db.transaction('outbox', 'readwrite');
      return committed(tx, async () => {
        const entry = await tx.store.get(id);
        if (!entry) return 0;
        const failures = (entry.failures ?? 0) + 1;
        await tx.store.put({ ...entry, failures });
        return failures;
      });
    },
    setAside: async (id: string, reason: StoredSetAsideEntry['reason'], at: number): Promise<void> => {
      const tx = this.#db.transaction(['outbox', 'set-aside'], 'readwrite');
      const outbox = tx.objectStore('outbox');
      await committed(tx, async () => {
        const entry = await outbox.get(id);
        if (!entry) return;
        // One transaction: the result is in exactly one of the two stores, whatever happens.
        await tx.objectStore('set-aside').put({ ...entry, reason, setAsideAt: at });
        await outbox.delete(id);
      });
    },
    setAsideEntries: (): Promise<StoredSetAsideEntry[]> => this.#db.getAllFromIndex('set-aside', 'by-set-aside'),
    retryAside: async (): Promise<number> => {
      const tx = this.#db.transaction(['outbox', 'set-aside'], 'readwrite');
      const aside = tx.objectStore('set-aside');
      return committed(tx, async () => {
        const entries = await aside.getAll();
        // One transaction, as in setAside; its failures counted as one (the runtime's Outbox.retryAside says why, and
        // its contract suite, run against this store too, holds it to that).
        for (const { id, result, createdAt } of entries)
          await tx.objectStore('outbox').put({ id, result, createdAt, failures: 1 });
        await aside.clear();
        return entries.length;
      });
    },
  };
}

/**
 * Runs `work` inside `tx` and resolves with its value once `tx` commits. When `work` fails, `tx` is
 * aborted, so that a call that fails part-way writes nothing.
 */
async function committed<T>(tx: { readonly done: Promise<void>; abort(): void }, work: () => Promise<T>): Promise<T> {
  try {
    // Both settle: the commit is awaited, and an abort's rejection never goes unhandled.
    const [value] = await Promise.all([work(), tx.done]);
    return value;
  } catch (error) {
    abortUnlessFinished(tx);
    throw error;
  }
}

function workUnitOf(item: unknown): string | null {
  const wu = (item as { receipt?: { body?: { workUnit?: unknown } } } | null)?.receipt?.body?.workUnit;
  return typeof wu === 'string' ? wu : null;
}
