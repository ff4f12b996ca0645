// The entries a transaction's steps add to the log, as they decide them: a credit, a debit, an import, an export. Each
// gets its place in the log, and becomes a signed body, when the changes are written (receipt.ts).
import type { JobId, ProjectId, VolunteerKey, WorkUnitNumber } from '@bricolage/protocol';

/** A credit granted by a verdict, waiting for its place in the log. */
export interface Credit {
  readonly kind: 'credit';
  readonly job: JobId;
  readonly project: ProjectId;
  readonly workUnit: WorkUnitNumber;
  readonly volunteer: VolunteerKey;
  readonly outputHash: string;
  readonly amount: number;
  /** The key that pays for the job, when a volunteer does. */
  readonly funder: VolunteerKey | null;
}

/** What a validated unit of a volunteer-funded job cost its funder, waiting for its place in the log. */
export interface Debit {
  readonly kind: 'debit';
  readonly job: JobId;
  readonly project: ProjectId;
  readonly workUnit: WorkUnitNumber;
  readonly funder: VolunteerKey;
  readonly replicas: number;
  readonly amount: number;
}

/** Another grid's export addressed to this one, honoured here once: credited to its volunteer. */
export interface Import {
  readonly kind: 'import';
  readonly volunteer: VolunteerKey;
  readonly from: string;
  readonly fromIndex: number;
  readonly amount: number;
}

/** Credit a volunteer moves out of this grid, to the grid whose log is `to`: a debit here. */
export interface Export {
  readonly kind: 'export';
  readonly volunteer: VolunteerKey;
  readonly to: string;
  readonly amount: number;
}

export type LogEntry = Credit | Debit | Import | Export;
