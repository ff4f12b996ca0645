// What a session knows of its coordinator: whether it answers (every request goes through `fetch` here), its
// public key (trusted on first use), and its projects. Probes its health while it does not answer.
import type { VolunteerStore } from '@bricolage/receipts';
import { type PublicApi, publicApi } from '../api';
import type { ViewModel } from './view';

const HEALTH_MS = 2_000;

export interface ConnectivityOptions {
  readonly base: string;
  readonly model: ViewModel;
  /** Called when the coordinator answers again after it did not. */
  readonly onBack: () => void;
}

export class Connectivity {
  readonly api: PublicApi;
  readonly #model: ViewModel;
  readonly #onBack: () => void;
  #healthTimer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;

  constructor(options: ConnectivityOptions) {
    this.#model = options.model;
    this.#onBack = options.onBack;
    this.api = publicApi(options.base, this.fetch);
  }

  /** Every request goes through here: it tells reachable from unreachable. */
  readonly fetch: typeof fetch = async (input, init) => {
    let response: Response;
    try {
      response = await fetch(input, init);
    } catch (error) {
      this.#markUnreachable();
      throw error;
    }
    this.#markReachable();
    return response;
  };

  /**
   * The key the coordinator publishes now, or null when it cannot be read; whether its peers are on goes into
   * the view from the same document.
   */
  async publishedKey(): Promise<string | null> {
    try {
      const known = await this.api.wellKnown();
      this.#model.set({
        peersOn: typeof known.peers === 'boolean' ? known.peers : null,
        honouredLogs: known.honouredLogs ?? null,
      });
      return known.publicKey;
    } catch (error) {
      console.warn('coordinator discovery failed', error);
      return null;
    }
  }

  /** Trust on first use: the key first seen is kept; a different one later is shown as a warning. */
  async adoptCoordinatorKey(store: VolunteerStore, published: string | null): Promise<void> {
    const view = this.#model.view();
    const saved = view.settings.coordinatorKey;
    if (published === null) {
      // Unreachable: the key seen last time still verifies receipts.
      this.#model.set({ coordinatorKey: saved });
      return;
    }
    if (saved === null) await store.saveSettings({ coordinatorKey: published });
    this.#model.set({
      coordinatorKey: published,
      keyChanged: saved !== null && saved !== published ? { was: saved, now: published } : null,
      settings: { ...view.settings, coordinatorKey: saved ?? published },
    });
  }

  /**
   * Reads the key again (the coordinator answers after it did not) and adopts it: a page that loaded while it was
   * down gets one to check receipts against, and one back with another key is shown as such now, not at the next
   * visit. Kept as it was when it still does not answer.
   */
  async readKeyAgain(store: VolunteerStore): Promise<void> {
    const published = await this.publishedKey();
    if (published) await this.adoptCoordinatorKey(store, published);
  }

  async loadProjects(): Promise<void> {
    try {
      this.#model.set({ projects: await this.api.projects() });
    } catch (error) {
      console.warn('project list unavailable', error);
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#healthTimer) clearTimeout(this.#healthTimer);
  }

  #markUnreachable(): void {
    if (!this.#model.view().reachable) return;
    this.#model.set({ reachable: false, unreachableSince: Date.now() });
    this.#watchHealth();
  }

  #markReachable(): void {
    if (this.#model.view().reachable) return;
    this.#model.set({ reachable: true, unreachableSince: null });
    this.#onBack();
  }

  #watchHealth(): void {
    if (this.#healthTimer || this.#closed) return;
    const probe = async () => {
      this.#healthTimer = null;
      if (this.#model.view().reachable || this.#closed) return;
      try {
        await this.api.health();
      } catch (error) {
        void error; // Still unreachable; `fetch` has recorded it.
      }
      if (!this.#model.view().reachable) this.#healthTimer = setTimeout(probe, HEALTH_MS);
    };
    this.#healthTimer = setTimeout(probe, HEALTH_MS);
  }
}
