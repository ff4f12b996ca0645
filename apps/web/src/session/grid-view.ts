// What the page shows of one grid it serves: read by the Other grids panel, kept by `Grid` (grid.ts) and its
// receipt syncs (grid-receipts.ts).
import type { ListedProject } from '@bricolage/protocol';
import type { VolunteerState } from '@bricolage/runtime';

/** What the page shows of a grid. */
export interface GridView {
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
  /** Receipts of work kept that verify against `key` (their last check held), and their credit. */
  readonly receipts: number;
  readonly credit: number;
  /** Debits (this key's own jobs there, paid for) kept that verify, and what they cost: shown apart, as spent. */
  readonly debits: number;
  readonly spent: number;
  /** Credit moved in from the home grid (imports that verify) and moved out to it (exports): no work, nothing spent. */
  readonly movedIn: number;
  readonly movedOut: number;
  /** Entries kept whose later re-check failed: counted in none of the above. */
  readonly failed: number;
  /** Receipts it sent that did not verify (not kept). */
  readonly rejected: number;
  /** Its own count of this volunteer's validated results, when read. */
  readonly validated: number | null;
  readonly duty: number | null;
}
