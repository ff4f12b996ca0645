// What the page shows of one grid it serves: read by the Other grids panel, kept by `Grid` (grid.ts) and its
// receipt syncs (grid-receipts.ts).
import type { ListedProject } from '@bricolage/protocol';
import type { GridSetting, HeldTotals } from '@bricolage/receipts';
import type { VolunteerState } from '@bricolage/runtime';

/**
 * What the page shows of a grid. Its totals (`HeldTotals`) count what this grid's database keeps that verifies
 * against `key`; debits are shown apart, as spent, and credit moved in and out (with the home grid) as neither work
 * nor spending.
 */
export interface GridView extends HeldTotals {
  readonly url: string;
  /** The key its receipts are verified against (first read, kept). */
  readonly key: string;
  /** The key it publishes now, when that is not `key`. */
  readonly keyChanged: string | null;
  /** null until it was first asked. */
  readonly online: boolean | null;
  readonly projects: readonly ListedProject[];
  /** The logs it honours, as it publishes them (it takes credit moved from them and moves credit only to them). */
  readonly honouredLogs: readonly string[] | null;
  readonly servedProjects: readonly string[] | null;
  readonly share: number;
  readonly state: VolunteerState;
  /** Receipts it sent that did not verify (not kept). */
  readonly rejected: number;
  /** Its own count of this volunteer's validated results, when read. */
  readonly validated: number | null;
  readonly duty: number | null;
  /** Removed, still delivering what its outbox holds (`GridSetting.leaving`): it computes no more. */
  readonly leaving: boolean;
  /** The results its outbox holds to deliver, as last counted (shown while it is leaving); null: not counted. */
  readonly undelivered: number | null;
  /**
   * The results set aside in its outbox (the grid failed on them again and again: kept, not sent again unless
   * retried), as last counted: when its database opened, and whenever one was set aside or retried; null: not counted.
   */
  readonly setAside: number | null;
}

/** What a grid shows before anything is read: its setting, nothing counted, not asked yet. */
export const initialView = ({ url, key, share, servedProjects, leaving }: GridSetting): GridView => ({
  url,
  key,
  keyChanged: null,
  online: null,
  projects: [],
  honouredLogs: null,
  servedProjects,
  share,
  state: 'idle',
  receipts: 0,
  credit: 0,
  debits: 0,
  spent: 0,
  movedIn: 0,
  movedOut: 0,
  failed: 0,
  rejected: 0,
  validated: null,
  duty: null,
  leaving: leaving === true,
  undelivered: null,
  setAside: null,
});

/**
 * Whether a pipeline in `state` holding work units counts as having work: computing, or resting between units at
 * its duty cycle (`waiting` then only means its last lease request got nothing more, e.g. it holds all it may).
 */
export const hasWork = (state: VolunteerState): boolean => state === 'running' || state === 'waiting';
