// What createVolunteer (volunteer.ts) is given and what it returns: the runtime's public surface for a volunteer
// page or a headless farm, apart from the code that makes it.
import type {
  Capabilities,
  CreatedProject,
  ExportRequest,
  ExportSettled,
  ExportResponse,
  ImportResponse,
  ReceiptsPage,
  VolunteerStats,
} from '@bricolage/protocol';
import type { PeerRoom } from '@bricolage/protocol/peer';
import type { CalibrationStore } from './calibration/cache';
import type { CalibrationOptions, CalibrationReport } from './calibration/calibrate';
import type { BackendOverrides } from './capabilities';
import type { BlobSource } from './client/assets';
import type { ClientResult, VolunteerIdentity } from './client/coordinator-client';
import type { VolunteerEvent, VolunteerEventOf, VolunteerEventType, VolunteerStatus } from './events';
import type { ComputeHost, WorkerFactory } from './host';
import type { Outbox } from './outbox';

/** Where the page's visibility comes from; `document` by default. */
export interface VisibilitySource {
  hidden(): boolean;
  subscribe(onChange: () => void): () => void;
}

export interface VolunteerOptions {
  /** Base URL of the coordinator. */
  readonly coordinator: string;
  /** The volunteer's key pair; a fresh non-extractable one when absent (a persistent store supplies its own). */
  readonly identity?: VolunteerIdentity;
  /** Where results wait for submission; in memory by default. */
  readonly outbox?: Outbox;
  /** Duty cycle, 0.01–1 (or a percentage above 1, up to 100); the page and the widget offer 10–100 %. */
  readonly throttle?: number;
  /** Pause while the page is hidden (default true). */
  readonly pauseWhenHidden?: boolean;
  /** Lease and fetch the next work unit while the current one computes (default true). */
  readonly prefetch?: boolean;
  /** Only lease from this project. */
  readonly project?: string;
  /** Only lease from these projects (the volunteer's choice; null or absent: every project). */
  readonly projects?: readonly string[] | null;
  /**
   * Project keys the volunteer already trusts (project id → key): a job of such a project runs only when signed
   * by that key, whatever the coordinator's list says. Other projects' keys are read from the list.
   */
  readonly projectKeys?: ReadonlyMap<string, string>;
  /** URL prefix where onnxruntime-web's .wasm files are served (default: where the bundler put them). */
  readonly ortWasmPaths?: string;
  readonly ortThreads?: number;
  /** Override the calibrated backend choice. */
  readonly backends?: BackendOverrides;
  /** Calibration settings, or false to skip measuring (then WebGPU is used when present). */
  readonly calibration?: CalibrationOptions | false;
  /** Where calibration results are kept between visits (default localStorage); false to measure every time. */
  readonly calibrationCache?: CalibrationStore | false;
  readonly createWorker?: WorkerFactory;
  /**
   * Where job assets (kernels, twins, models, constant data) come from: given the coordinator, a source to ask
   * first (a page passes its peers here; the runtime itself knows nothing of them). The coordinator by default.
   */
  readonly blobSource?: (coordinator: BlobSource) => BlobSource;
  readonly fetch?: typeof fetch;
  readonly submitBatchSize?: number;
  /** Cap on how long to wait when the coordinator has no work (it suggests 10 s). */
  readonly maxIdleWaitMs?: number;
  readonly heartbeatCheckMs?: number;
  readonly visibility?: VisibilitySource;
}

export interface Volunteer {
  /** The volunteer's public key (base64url). */
  readonly id: string;
  /** Probes and calibrates the device (first time only), then computes until stopped. */
  start(): Promise<void>;
  /** `finish` (default) completes the current work unit first; `now` kills it. Results already computed are still submitted. */
  stop(mode?: 'finish' | 'now'): Promise<void>;
  pause(): void;
  resume(): void;
  setThrottle(duty: number): void;
  setPauseWhenHidden(enabled: boolean): void;
  setPrefetch(enabled: boolean): void;
  /** Serves only these projects from the next lease on (null: every project). */
  setProjects(projects: readonly string[] | null): void;
  status(): Promise<VolunteerStatus>;
  on<T extends VolunteerEventType | '*'>(
    type: T,
    listener: (event: T extends VolunteerEventType ? VolunteerEventOf<T> : VolunteerEvent) => void,
  ): () => void;
  capabilities(): Promise<Capabilities>;
  calibration(): Promise<CalibrationReport | null>;
  /** Submits what is in the outbox now; true when it emptied within `timeoutMs`. */
  flush(timeoutMs?: number): Promise<boolean>;
  /**
   * The coordinator answers again after an outage (the page's own check saw it): a lease request that got no
   * answer is retried now, not at the end of its backoff (up to 30 s), and so is one answered "no work" before the
   * outage (work may have come meanwhile). `flush` delivers what waited.
   */
  coordinatorBack(): void;
  /**
   * Puts the results set aside (the coordinator failed on them too often, in this page or an earlier one) back into
   * delivery, each allowed nearly as many failures again (Outbox.retryAside), and starts delivering them: one the
   * coordinator refuses now is dropped, one it keeps failing on is set aside again. Resolves with how many went back.
   */
  retrySetAside(): Promise<number>;
  /**
   * Reads again which results the outbox holds set aside, for its status: another page sharing the outbox (a tab of the
   * same browser) set some aside or put them back into delivery, and no event of that reaches this one.
   */
  readSetAside(): Promise<void>;
  /** This volunteer's receipts logged after index `after`, at most `limit` (the coordinator's default: 100). */
  receipts(after?: number, limit?: number): Promise<ClientResult<ReceiptsPage>>;
  stats(): Promise<ClientResult<VolunteerStats>>;
  /** Opens this key's personal project (its credit pays for its jobs): the project and a new project token. */
  openFundedProject(name: string): Promise<ClientResult<CreatedProject>>;
  /**
   * Moves credit of this key to another grid (one this grid honours): the proven export receipt to present there.
   * The same `requestId` again returns the first export's receipt: a retry never moves credit twice.
   */
  exportCredit(request: ExportRequest): Promise<ClientResult<ExportResponse>>;
  /**
   * Settles this key's export request `requestId` whose answer was lost, for good: the export it made, or `closed`:
   * none was made, and the request landing later is refused (it moves nothing).
   */
  settleExport(requestId: string): Promise<ClientResult<ExportSettled>>;
  /** Presents other grids' proven exports addressed to this grid: each credited here once. */
  importCredit(receipts: readonly unknown[]): Promise<ClientResult<ImportResponse>>;
  /** A project's peer room (its secret, a signaling ticket), asked as this volunteer. */
  peerRoom(project: string): Promise<ClientResult<PeerRoom>>;
  /** Stops, submits what it can within `timeoutMs` (0: sends nothing more, the outbox keeps it), and terminates the worker. */
  close(timeoutMs?: number): Promise<void>;
  /** For tests only. */
  readonly __testHooks: TestHooks;
}

export interface TestHooks {
  /** `during-next-run` (default) destroys the WebGPU device between the next dispatch and its readback. */
  destroyDevice(when?: 'now' | 'during-next-run'): Promise<void>;
  readonly host: ComputeHost;
}
