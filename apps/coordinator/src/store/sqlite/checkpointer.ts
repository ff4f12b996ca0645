// WAL checkpoints off the event loop. SQLite checkpoints on the connection that commits once the WAL passes
// 1,000 pages: the committing call copies the WAL into the database and syncs it, and better-sqlite3 is
// synchronous, so the coordinator answered nothing for that long — 90–240 ms every ~500 cnn results in
// bench:runtime, the worker's largest gaps. Here a worker thread with its own connection to the same file
// checkpoints (PASSIVE: it never blocks the writer, and copies only frames no reader still needs) a few times a
// second; the writer restarts the WAL from its start once a checkpoint has copied all of it. The writer's own
// automatic checkpoint stays, at a far larger size, in case this thread cannot keep up or is gone.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The writer checkpoints itself only past this many WAL pages (4 KiB each): 64 MiB. */
export const WRITER_CHECKPOINT_PAGES = 16_384;

const CHECKPOINT_EVERY_MS = 250;

// CommonJS run by the worker (eval): better-sqlite3 is resolved here and handed over by path.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
const checkpoint = () => {
  try {
    const [row] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ checkpointed: row.checkpointed });
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message || error) });
  }
};
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.on('message', (message) => {
  if (message === 'now') return checkpoint();
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export class Checkpointer {
  readonly #worker: Worker;
  readonly #exited: Promise<void>;
  /** Frames copied into the database by this thread's checkpoints, and how many checkpoints reported. */
  copied = 0;
  runs = 0;
  readonly #waiters: (() => void)[] = [];

  constructor(path: string, onError: (e: Error) => void) {
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(WORKER, { eval: true, workerData: { path, module, everyMs: CHECKPOINT_EVERY_MS } });
    // A checkpointer alone never keeps the coordinator's process alive.
    this.#worker.unref();
    this.#worker.on('message', (m: { checkpointed?: number; error?: string }) => {
      if (m.error) onError(new Error(`WAL checkpoint: ${m.error}`));
      else {
        this.copied += Math.max(0, m.checkpointed ?? 0);
        this.runs++;
      }
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.#worker.on('error', (e) => onError(new Error(`WAL checkpointer: ${e.message}`)));
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
  }

  /** Checkpoints now, and resolves once that checkpoint has reported (tests). */
  async now(): Promise<void> {
    const reported = new Promise<void>((resolve) => this.#waiters.push(resolve));
    this.#worker.ref();
    this.#worker.postMessage('now');
    await reported;
    this.#worker.unref();
  }

  /** Stops the thread and closes its connection; before the writer's own close. */
  async close(): Promise<void> {
    // Waited for: it must hold the process open until it is gone, or an exit that waits on it ends early.
    this.#worker.ref();
    this.#worker.postMessage('close');
    await this.#exited;
  }
}
