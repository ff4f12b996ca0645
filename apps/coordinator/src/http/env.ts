// What every request handler is given: the request's identity, and the coordinator's parts.
import type { Project } from '@bricolage/protocol';
import type { Clock } from '../clock';
import type { CoordinatorConfig } from '../config';
import type { CoordinatorKey } from '../log/keys';
import type { ReceiptLog } from '../log/receipt-log';
import type { PeerKeys } from '../peers/peer-keys';
import type { Store } from '../store/store';
import type { RecentVolunteers } from '../volunteers/recent';
import type { RateLimiter } from './rate-limit';
import type { VolunteerTokens } from './tokens';

export interface Deps {
  readonly store: Store;
  readonly log: ReceiptLog;
  readonly key: CoordinatorKey;
  readonly clock: Clock;
  readonly config: CoordinatorConfig;
  readonly tokens: VolunteerTokens;
  /** Signaling tickets and room secrets. */
  readonly peers: PeerKeys;
  readonly perAddress: RateLimiter;
  readonly perVolunteer: RateLimiter;
  /** Checks an operator token against the one in the data directory (read per request: rotation needs no restart). */
  readonly isOperator: (token: string) => boolean;
  /** Volunteers that asked for work lately, for the jobs' diagnoses. */
  readonly recent: RecentVolunteers;
  readonly version: string;
  readonly logError: (message: string) => void;
}

export interface Env {
  Variables: {
    project: Project;
    volunteer: string;
  };
}
