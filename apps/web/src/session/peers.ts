// Peers: after Start, the page joins the rooms of the projects it serves (packages/peer, loaded then), follows the
// volunteer's choice of projects while started, and stays in them until Stop, through coordinator outages too. It tells the room what this tab is (presence) and which work units it holds,
// asks peers first for job assets (the runtime's blob source; the coordinator is the fallback), reads the log's
// tree head so that the room witnesses it, and puts the swarm in the view. Nothing peers say is trusted: assets
// are checked chunk by chunk, heads by signature and proof, and results only ever go to the coordinator.
import type { Swarm, SwarmView } from '@bricolage/peer';
import { API, sign } from '@bricolage/protocol';
import type { BlobManifest, PeerRoom } from '@bricolage/protocol/peer';
import type { BlobSource, ClientResult, Volunteer } from '@bricolage/runtime';
import { HttpError, type PublicApi } from '../api';
import { servedRooms } from './served-rooms';
import type { AssetFetch, View, ViewModel } from './view';

/** How often the log's tree head is read while in a room (each peer announces the newest it read). */
const HEAD_MS = 10_000;
/** After results were accepted the log has grown: its head is read again this soon (once for a burst of them). */
const HEAD_AFTER_SUBMIT_MS = 1_000;
/** How often this tab's presence is refreshed (rates change continually; the room need not hear each change). */
const PRESENCE_MS = 2_000;
/** How long an asset fetch waits for the rooms being joined before it asks the coordinator. */
const JOIN_WAIT_MS = 5_000;
/** Asset fetches listed in the view. */
const FETCHES_SHOWN = 8;
/** How long the blob manifest may go unanswered (it is small JSON): as long as the page's other public reads. */
const MANIFEST_TIMEOUT_MS = 30_000;

export interface PeersOptions {
  readonly base: string;
  /** `?project=`: the one project this tab may serve; otherwise those of the grid it serves (served-rooms.ts). */
  readonly project: string | null;
  readonly model: ViewModel;
  readonly api: PublicApi;
  /** The connectivity's fetch: the peer layer's requests count towards reachable and unreachable too. */
  readonly fetch: typeof fetch;
  readonly volunteer: () => Promise<Volunteer>;
  /** The stored key pair: the rooms are told the volunteer's key with its signature as proof. */
  readonly identity: () => Promise<{ readonly publicKey: string; readonly privateKey: CryptoKey }>;
}

export class Peers {
  readonly #o: PeersOptions;
  readonly #swarms = new Map<string, Swarm>();
  /** Each room's subscription to its swarm's changes, ended when that room alone is left. */
  readonly #offs = new Map<string, () => void>();
  #joining: Promise<void> | null = null;
  /** The served projects changed while a join was under way: once it ends, the rooms are compared again. */
  #again = false;
  /** The rooms last compared with the served projects (their ids, joined): a view change that leaves them alone is ignored. */
  #followed = '';
  /** Following the view for changes of the served projects, from Start (or the charger) to Stop (or the battery). */
  #following: (() => void) | null = null;
  /** The runtime's events and the timers are set up once for the rooms of one Start, however many joins follow. */
  #setUp = false;
  #timers: ReturnType<typeof setInterval>[] = [];
  #unsubscribe: (() => void)[] = [];
  #viewQueued = false;
  #headSoon: ReturnType<typeof setTimeout> | null = null;
  /** Started and not stopped: a join that failed (the coordinator was unreachable) is tried again when it is back. */
  #wanted = false;
  /** Paused on battery: out of every room until the charger is back, then joined again if still wanted. */
  #paused = false;
  /** Counts `leave`s: a join under way when the rooms were left (Stop, battery) must not add its rooms after. */
  #left = 0;

  constructor(options: PeersOptions) {
    this.#o = options;
  }

  /** Joins the rooms (after Start): returns at once; asset fetches wait for it, up to a few seconds. */
  start(): void {
    this.#wanted = true;
    if (this.#paused) return;
    this.#following ??= this.#o.model.subscribe(() => this.#follow());
    this.#sync();
  }

  /** The rooms of the projects served now (the volunteer's ticks, the grid's list, `?project=`). */
  #rooms(): string[] {
    const view = this.#o.model.view();
    return servedRooms(
      view.projects.map((p) => p.id as string),
      view.settings.servedProjects,
      this.#o.project,
    );
  }

  /** A view change: the rooms follow the projects served when those changed (a tick, or the grid's list). */
  #follow(): void {
    if (!this.#wanted || this.#paused) return;
    if (this.#rooms().join(' ') !== this.#followed) this.#sync();
  }

  /** Leaves the rooms of projects no longer served, at once, and joins those of projects served now. */
  #sync(): void {
    const rooms = this.#rooms();
    this.#followed = rooms.join(' ');
    for (const project of [...this.#swarms.keys()]) if (!rooms.includes(project)) this.#leaveRoom(project);
    if (this.#joining) {
      this.#again = true;
      return;
    }
    const joining: Promise<void> = this.#join()
      .catch((error: Error) => {
        console.warn('could not join the peers', error);
        this.#o.model.notify('info', 'Working without peers', [error.message]);
      })
      .finally(() => {
        // Not a later join's (the rooms were left and joined again meanwhile).
        if (this.#joining !== joining) return;
        this.#joining = null;
        if (this.#again && this.#wanted && !this.#paused) {
          this.#again = false;
          this.#sync();
        }
      });
    this.#joining = joining;
  }

  async #join(): Promise<void> {
    const { model } = this.#o;
    // The grid said its peers are off: no room to ask for (the coordinator would refuse it), this tab works alone.
    if (model.view().peersOn === false) {
      this.#wanted = false;
      return;
    }
    const key = model.view().coordinatorKey;
    if (!key) throw new Error("the coordinator's key is not known yet, so its log could not be witnessed");
    const left = this.#left;
    const volunteer = await this.#o.volunteer();
    if (this.#left !== left) return;
    const identity = {
      key: volunteer.id,
      // Read when the swarm signs: awaited before the join, it shifted when the rooms formed, enough for a test's
      // first fetch to miss the peer holding the blob.
      sign: async (message: Uint8Array) => {
        const stored = await this.#o.identity();
        if (stored.publicKey !== volunteer.id) throw new Error('the key was replaced since this volunteer started');
        return sign(stored.privateKey, message);
      },
    };
    // The projects served are read again before each room: a tick changed meanwhile counts at once.
    for (;;) {
      const project = this.#rooms().find((p) => !this.#swarms.has(p));
      if (project === undefined) break;
      const room = await volunteer.peerRoom(project);
      if (this.#left !== left) return;
      // The operator turned peers off: this tab works alone, as it would have before there were peers.
      if (!room.ok && room.error.code === 'forbidden') {
        this.#wanted = false;
        return;
      }
      if (!room.ok) throw new Error(`the coordinator did not hand out the room of ${project}: ${room.error.message}`);
      // The peer layer (yjs, y-webrtc) loads only now, once there is a room to join.
      const { joinSwarm } = await import('@bricolage/peer');
      if (this.#left !== left) return;
      // Unticked while its room was asked for: not joined.
      if (!this.#rooms().includes(project) || this.#swarms.has(project)) continue;
      const swarm = joinSwarm({
        room: room.value,
        coordinator: this.#o.base,
        coordinatorKey: key,
        manifest: (hash) => this.#manifest(hash),
        consistency: (from, to) => this.#consistency(from, to),
        renewRoom: async () => this.#renew(volunteer, project),
        identity,
      });
      this.#swarms.set(project, swarm);
      this.#offs.set(
        project,
        swarm.subscribe(() => this.#queueView()),
      );
    }
    if (!this.#setUp) {
      this.#setUp = true;
      this.#unsubscribe.push(...this.#watch(volunteer));
      this.#timers.push(
        setInterval(() => this.#publish(), PRESENCE_MS),
        setInterval(() => void this.#readHead(), HEAD_MS),
      );
    }
    this.#publish();
    void this.#readHead();
    this.#queueView();
  }

  /** The runtime's asset source: peers first, the coordinator when no peer has it (then peers get it from us). */
  blobSource = (coordinator: BlobSource): BlobSource => ({
    blob: async (hash): Promise<ClientResult<Uint8Array>> => {
      if (this.#joining)
        await Promise.race([this.#joining, new Promise((resolve) => setTimeout(resolve, JOIN_WAIT_MS))]);
      await Promise.all([...this.#swarms.values()].map((s) => s.ready()));
      // Timed from here: the transfer (and its checks), not the wait for the room.
      const started = performance.now();
      // One deadline for the blob across the rooms (blob-exchange.ts): a room after one that failed gets only what
      // is left, so that a slow holder in each of four rooms cannot hold the fetch four times as long. A room after
      // one too slow is still asked with what is left: that was a holder's pace, and the next room's may be honest.
      for (const swarm of this.#swarms.values()) {
        const bytes = await swarm.fetchBlob(hash, performance.now() - started);
        if (bytes) {
          this.#fetched({ hash, bytes: bytes.length, ms: performance.now() - started, from: 'peers' });
          return { ok: true, value: bytes };
        }
      }
      const fetched = await coordinator.blob(hash);
      if (fetched.ok) {
        for (const swarm of this.#swarms.values()) swarm.keep(hash, fetched.value);
        this.#fetched({ hash, bytes: fetched.value.length, ms: performance.now() - started, from: 'coordinator' });
      }
      return fetched;
    },
  });

  #fetched(fetch: AssetFetch): void {
    const { model } = this.#o;
    model.set({ assetFetches: [...model.view().assetFetches, fetch].slice(-FETCHES_SHOWN) });
  }

  /** The coordinator answers again: the witness checks what it could not. */
  coordinatorBack(): void {
    if (this.#paused) return;
    // A room not joined (the coordinator was unreachable when it was asked for) is asked for again.
    if (this.#wanted && this.#rooms().some((p) => !this.#swarms.has(p))) this.#sync();
    for (const swarm of this.#swarms.values()) swarm.coordinatorBack();
    void this.#readHead();
  }

  /**
   * On battery (the volunteer's setting): the rooms are left — no connection kept open, no asset served to
   * peers, no head read — as computing pauses; they are joined again when it resumes, if Stop did not come between.
   */
  setPaused(paused: boolean): void {
    if (paused === this.#paused) return;
    this.#paused = paused;
    if (paused) {
      const wanted = this.#wanted;
      this.leave();
      this.#wanted = wanted;
    } else if (this.#wanted) this.start();
  }

  /** Leaves every room (Stop, or the page closing). */
  leave(): void {
    this.#wanted = false;
    this.#left++;
    this.#following?.();
    this.#following = null;
    this.#again = false;
    this.#setUp = false;
    for (const timer of this.#timers) clearInterval(timer);
    if (this.#headSoon) clearTimeout(this.#headSoon);
    this.#headSoon = null;
    for (const off of this.#unsubscribe) off();
    for (const project of [...this.#swarms.keys()]) this.#leaveRoom(project);
    this.#timers = [];
    this.#unsubscribe = [];
    this.#joining = null;
    this.#o.model.set({ swarms: [] });
  }

  /** Leaves one room: its project is no longer served, or every room is being left. */
  #leaveRoom(project: string): void {
    this.#offs.get(project)?.();
    this.#offs.delete(project);
    this.#swarms.get(project)?.leave();
    this.#swarms.delete(project);
    this.#queueView();
  }

  /** Which units this tab holds, from the runtime's events, in the room of the unit's project. */
  #watch(volunteer: Volunteer): (() => void)[] {
    const projectOf = new Map<string, string>();
    const swarmOf = (lease: string) => this.#swarms.get(projectOf.get(lease) ?? '');
    return [
      volunteer.on('leased', (e) => {
        projectOf.set(e.lease, e.project);
        swarmOf(e.lease)?.hold(e.lease, { workUnit: e.workUnit, job: e.job, state: 'computing' });
      }),
      volunteer.on('computed', (e) =>
        swarmOf(e.lease)?.hold(e.lease, { workUnit: e.workUnit, job: e.job, state: 'computed' }),
      ),
      volunteer.on('failed', (e) =>
        swarmOf(e.lease)?.hold(e.lease, { workUnit: e.workUnit, job: e.job, state: 'computed' }),
      ),
      volunteer.on('submitted', (e) => {
        for (const lease of e.leases) {
          swarmOf(lease)?.release(lease);
          projectOf.delete(lease);
        }
        this.#headSoon ??= setTimeout(() => {
          this.#headSoon = null;
          void this.#readHead();
        }, HEAD_AFTER_SUBMIT_MS);
      }),
      volunteer.on('dropped', (e) => {
        swarmOf(e.lease)?.release(e.lease);
        projectOf.delete(e.lease);
      }),
    ];
  }

  /** What this tab tells its peers about itself. */
  #publish(): void {
    const view = this.#o.model.view();
    for (const swarm of this.#swarms.values())
      swarm.setPresence({
        device: deviceClass(view),
        backend: view.device?.backend ?? null,
        rate: view.wuPerMinute ?? 0,
        state: STATE[view.phase] ?? 'idle',
      });
  }

  async #readHead(): Promise<void> {
    if (this.#swarms.size === 0) return;
    let head: unknown;
    try {
      head = await this.#o.api.treeHead();
    } catch (error) {
      void error; // Unreachable: the peers still have the heads read before.
      return;
    }
    for (const swarm of this.#swarms.values()) await swarm.observeHead(head);
  }

  async #manifest(hash: string): Promise<BlobManifest | null> {
    try {
      // Bounded like every request of the page: a coordinator that never answers must not hold the model's loading,
      // which falls back to the coordinator's own blob once this gives up.
      const response = await this.#o.fetch(this.#o.base + API.blobManifest(hash), {
        signal: AbortSignal.timeout(MANIFEST_TIMEOUT_MS),
      });
      if (!response.ok) return null;
      // The peer protocol's schemas load with the peer layer, not with the page.
      const { BlobManifest } = await import('@bricolage/protocol/peer');
      const parsed = BlobManifest.safeParse(await response.json());
      return parsed.success ? parsed.data : null;
    } catch (error) {
      void error; // Unreachable: the asset cannot be checked chunk by chunk, so it is not taken from peers.
      return null;
    }
  }

  /**
   * A consistency proof. Unreachable, overloaded or failing: throws, and the check waits. Any other refusal is
   * returned as the "proof" and fails to verify: an honest coordinator can prove every pair of heads it signed.
   */
  async #consistency(from: number, to: number): Promise<unknown> {
    try {
      return await this.#o.api.consistency(from, to);
    } catch (error) {
      if (error instanceof HttpError && error.status >= 400 && error.status < 500 && error.status !== 429)
        return { refused: error.message };
      throw error;
    }
  }

  async #renew(volunteer: Volunteer, project: string): Promise<PeerRoom | null> {
    const room = await volunteer.peerRoom(project);
    return room.ok ? room.value : null;
  }

  /** Swarm views change with every message in the room: the view model takes them at most once a frame. */
  #queueView(): void {
    if (this.#viewQueued) return;
    this.#viewQueued = true;
    setTimeout(() => {
      this.#viewQueued = false;
      const swarms: SwarmView[] = [...this.#swarms.values()].map((s) => s.view());
      this.#o.model.set({ swarms });
    }, 50);
  }
}

const STATE: Partial<Record<View['phase'], 'computing' | 'waiting' | 'paused' | 'offline' | 'idle'>> = {
  computing: 'computing',
  waiting: 'waiting',
  paused: 'paused',
  offline: 'offline',
};

function deviceClass(view: View): 'gpu' | 'software-gpu' | 'cpu' | null {
  const device = view.device;
  if (!device) return null;
  if (device.adapter === null) return 'cpu';
  return device.fallbackAdapter ? 'software-gpu' : 'gpu';
}
