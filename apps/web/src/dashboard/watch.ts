// Watching one job: its event stream (reconnected when it drops), the samples behind the charts, and, for
// a job whose results are image tiles, the tiles as they are validated (read from the results download
// after the last cursor seen, so each tile is fetched once).
import { fromBase64, type JobProgress } from '@bricolage/protocol';
import { type TilePosition, tileOf, tileSide, tileValues } from '../mosaic/tiles';
import type { ResearcherApi } from './api';
import { addSample, type Sample, sampleOf } from './series';

export type Connection = 'connecting' | 'live' | 'reconnecting' | 'stopped';

export interface Tile {
  readonly position: TilePosition;
  readonly side: number;
  readonly values: Float32Array;
}

export interface WatchView {
  readonly progress: JobProgress | null;
  readonly samples: readonly Sample[];
  readonly connection: Connection;
  /** Why the stream is not live, when it is not. */
  readonly problem: string | null;
  /** Null until the first finished unit says whether this job's results are image tiles. */
  readonly image: boolean | null;
  readonly tiles: number;
  /**
   * Whether this page saw the job active or paused. Samples only accumulate while the page watches: a job that
   * ended before it opened has its final counts, not its run, and its charts have nothing to show.
   */
  readonly watchedRunning: boolean;
}

export interface WatchOptions {
  /** How long to wait before reconnecting a dropped stream. */
  readonly retryMs?: number;
  /** How often a quiet stream still adds a sample, so a stalled or paused job's throughput falls to zero. */
  readonly tickMs?: number;
  readonly now?: () => number;
}

const PAGE = 200;

export class JobWatch {
  readonly #api: ResearcherApi;
  readonly #job: string;
  readonly #onTiles: (tiles: readonly Tile[]) => void;
  readonly #retryMs: number;
  readonly #tickMs: number;
  readonly #now: () => number;
  readonly #listeners = new Set<() => void>();
  #view: WatchView = {
    progress: null,
    samples: [],
    connection: 'connecting',
    problem: null,
    image: null,
    tiles: 0,
    watchedRunning: false,
  };
  #controller: AbortController | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  /** The coordinator's time minus ours, from the last event: places a quiet tick on the coordinator's clock. */
  #skew = 0;
  #cursor = 0;
  #pumping = false;
  #pumpAgain = false;

  constructor(api: ResearcherApi, job: string, onTiles: (tiles: readonly Tile[]) => void, options: WatchOptions = {}) {
    this.#api = api;
    this.#job = job;
    this.#onTiles = onTiles;
    this.#retryMs = options.retryMs ?? 2000;
    this.#tickMs = options.tickMs ?? 5000;
    this.#now = options.now ?? Date.now;
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  readonly view = (): WatchView => this.#view;

  start(): void {
    if (this.#controller) return;
    this.#controller = new AbortController();
    void this.#stream(this.#controller.signal);
    this.#timer = setInterval(() => this.#tick(), this.#tickMs);
  }

  stop(): void {
    this.#controller?.abort();
    this.#controller = null;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#set({ connection: 'stopped' });
  }

  /** Applies a progress report from elsewhere (the answer to pause, resume or cancel). */
  accept(progress: JobProgress): void {
    this.#onProgress(progress);
  }

  async #stream(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const ended = await this.#api.events(
        this.#job,
        { progress: (p) => this.#onProgress(p), completed: (p) => this.#onProgress(p) },
        signal,
      );
      if (signal.aborted) return;
      const problem = ended.ok ? 'the event stream closed' : ended.error.message;
      // A token that stopped working, or a job that is gone: reconnecting would not help.
      if (!ended.ok && (ended.error.status === 401 || ended.error.status === 404)) {
        this.#set({ connection: 'stopped', problem });
        return;
      }
      this.#set({ connection: 'reconnecting', problem });
      await new Promise((resolve) => setTimeout(resolve, this.#retryMs));
    }
  }

  #onProgress(p: JobProgress): void {
    this.#skew = p.at - this.#now();
    this.#set({
      progress: p,
      samples: addSample(this.#view.samples, sampleOf(p)),
      connection: this.#controller ? 'live' : this.#view.connection,
      problem: null,
      watchedRunning: this.#view.watchedRunning || p.state === 'active' || p.state === 'paused',
    });
    if (this.#view.image !== false && p.counts.validated > 0) void this.#pump();
  }

  #tick(): void {
    // A paused job may still finish the units already leased, then nothing: its rate must fall as it does. A
    // completed or cancelled job finishes nothing more; its chart keeps the run it had.
    const state = this.#view.progress?.state;
    if (state !== 'active' && state !== 'paused') return;
    const last = this.#view.samples.at(-1);
    if (!last) return;
    const at = Math.max(last.at, this.#now() + this.#skew);
    this.#set({ samples: addSample(this.#view.samples, { ...last, at }) });
  }

  /** Reads results after the cursor until there are none; one reader at a time, rerun if asked meanwhile. */
  async #pump(): Promise<void> {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        for (;;) {
          const page = await this.#api.results(this.#job, this.#cursor, PAGE);
          if (!page.ok || page.value.length === 0) break;
          const tiles: Tile[] = [];
          for (const line of page.value) {
            this.#cursor = line.cursor;
            if (line.state !== 'validated' || line.output === null) continue;
            const position = tileOf(line.tag);
            const bytes = fromBase64(line.output);
            const side = tileSide(bytes.length);
            if (this.#view.image === null) this.#set({ image: position !== null && side !== null });
            if (!this.#view.image) return;
            if (position && side) tiles.push({ position, side, values: tileValues(bytes) });
          }
          if (tiles.length > 0) {
            this.#onTiles(tiles);
            this.#set({ tiles: this.#view.tiles + tiles.length });
          }
          if (page.value.length < PAGE) break;
        }
      } while (this.#pumpAgain);
    } finally {
      this.#pumping = false;
    }
  }

  #set(change: Partial<WatchView>): void {
    this.#view = { ...this.#view, ...change };
    for (const l of this.#listeners) l();
  }
}
