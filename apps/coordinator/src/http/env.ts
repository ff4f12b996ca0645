// What every request handler is given: the request's identity, and the coordinator's parts.
import type { Project, VolunteerKey } from '@bricolage/protocol';
import type { Clock } from '../clock';
import type { CoordinatorConfig } from '../config';
import type { CoordinatorKey } from '../log/keys';
import type { ReceiptLog } from '../log/receipt-log';
import type { BlobStore } from '../blobs/blob-store';
import type { PublishedFile } from '../blobs/published/published-files';
import type { Logger } from '../logger';
import type { PeerKeys } from '../peers/peer-keys';
import type { Store } from '../store/store';
import type { RecentVolunteers } from '../volunteers/recent';
import type { Challenges } from './challenges';
import type { TrustedProxies } from './client-address';
import type { ProgressFeeds } from './progress-feed';
import type { RateLimiter } from './rate-limit';
import type { Slots } from './slots';
import type { VolunteerTokens } from './tokens';

export interface Deps {
  readonly store: Store;
  /** Tells every coordinator of the grid of a ban made here (signal/ban-news.ts): each closes the key's signaling. */
  readonly announceBan: (volunteer: VolunteerKey) => void;
  readonly blobs: BlobStore;
  /** onnxruntime-web's .wasm files of the page served here, which `blobs` serves too (by hash). */
  readonly ortWasm: readonly PublishedFile[];
  readonly log: ReceiptLog;
  readonly key: CoordinatorKey;
  readonly clock: Clock;
  readonly config: CoordinatorConfig;
  readonly tokens: VolunteerTokens;
  readonly challenges: Challenges;
  readonly proxies: TrustedProxies;
  /** Signaling tickets and room secrets. */
  readonly peers: PeerKeys;
  readonly perAddress: RateLimiter;
  readonly logReads: RateLimiter;
  readonly perVolunteer: RateLimiter;
  /** Checks an operator token against the one in the data directory (read per request: rotation needs no restart). */
  readonly isOperator: (token: string) => boolean;
  /** Volunteers that asked for work lately, for the jobs' diagnoses. */
  readonly recent: RecentVolunteers;
  readonly perProject: RateLimiter;
  readonly newIdentities: RateLimiter;
  /** Job progress for SSE streams, read once per job and tick. */
  readonly progress: ProgressFeeds;
  /** Responses over `largeResponseBytes` in flight. */
  readonly largeResponses: Slots;
  readonly version: string;
  readonly logger: Logger;
  /** An error that is our fault (the logger's `error`, with the message alone). */
  readonly logError: (message: string) => void;
}

export interface Env {
  Variables: {
    project: Project;
    volunteer: VolunteerKey;
    /** The client's address (see client-address.ts), set before any route runs. */
    client: string;
  };
}
