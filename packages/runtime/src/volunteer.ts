// createVolunteer: the one object a volunteer page or a headless farm drives. It probes and calibrates
// the device, authenticates, and runs the pipeline; results drain to the coordinator in the background.
import type { Capabilities, CreatedProject, ReceiptsPage, VolunteerStats } from '@bricolage/protocol';
import { generateSigningKeyPair } from '@bricolage/protocol';
import type { PeerRoom } from '@bricolage/protocol/peer';
import {
  type CalibrationStore,
  calibrationKey,
  defaultCalibrationStore,
  readCalibration,
  writeCalibration,
} from './calibration/cache';
import type { CalibrationOptions, CalibrationReport } from './calibration/calibrate';
import { type BackendOverrides, capabilitiesFrom } from './capabilities';
import { AssetCache, type BlobSource } from './client/assets';
import { type ClientResult, CoordinatorClient, type VolunteerIdentity } from './client/coordinator-client';
import { JobVerifier } from './client/job-verifier';
import { ortWasmSource } from './client/ort-wasm-source';
import { Submitter } from './client/submitter';
import type { DeviceProbe } from './compute/api';
import {
  type DroppedResult,
  Emitter,
  type VolunteerEvent,
  type VolunteerEventOf,
  type VolunteerEventType,
  type VolunteerState,
  type VolunteerStatus,
} from './events';
import { ComputeHost, type WorkerFactory } from './host';
import { MemoryOutbox, type Outbox } from './outbox';
import { Pipeline } from './pipeline/pipeline';
import { type KeyClaim, claimKey } from './key-claim';
import { UnsentResults, leavePage } from './page-leave';
import { clampDuty } from './pipeline/throttle';

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
  /** Duty cycle, 0.1–1 (or 10–100). */
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
  /** This volunteer's receipts logged after index `after`, at most `limit` (the coordinator's default: 100). */
  receipts(after?: number, limit?: number): Promise<ClientResult<ReceiptsPage>>;
  stats(): Promise<ClientResult<VolunteerStats>>;
  /** Opens this key's personal project (its credit pays for its jobs): the project and a new project token. */
  openFundedProject(name: string): Promise<ClientResult<CreatedProject>>;
  /** A project's peer room (its secret, a signaling ticket), asked as this volunteer. */
  peerRoom(project: string): Promise<ClientResult<PeerRoom>>;
  /** Stops, submits what it can within `timeoutMs`, and terminates the worker. */
  close(timeoutMs?: number): Promise<void>;
  /** For tests only. */
  readonly __testHooks: TestHooks;
}

export interface TestHooks {
  /** `during-next-run` (default) destroys the WebGPU device between the next dispatch and its readback. */
  destroyDevice(when?: 'now' | 'during-next-run'): Promise<void>;
  readonly host: ComputeHost;
}

const documentVisibility = (): VisibilitySource | null => {
  if (typeof document === 'undefined') return null;
  return {
    hidden: () => document.visibilityState === 'hidden',
    subscribe: (onChange) => {
      document.addEventListener('visibilitychange', onChange);
      return () => document.removeEventListener('visibilitychange', onChange);
    },
  };
};

export async function createVolunteer(options: VolunteerOptions): Promise<Volunteer> {
  const identity = options.identity ?? (await generateSigningKeyPair(false));
  const client = new CoordinatorClient({
    coordinator: options.coordinator,
    identity,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const emitter = new Emitter();
  const outbox = new UnsentResults(options.outbox ?? new MemoryOutbox());
  const assets = new AssetCache(options.blobSource ? options.blobSource(client) : client);
  const verifier = new JobVerifier(client, options.projectKeys);
  const host = new ComputeHost({
    config: {
      ...(options.ortWasmPaths ? { ortWasmPaths: options.ortWasmPaths } : {}),
      ...(options.ortThreads ? { ortThreads: options.ortThreads } : {}),
    },
    ...(options.createWorker ? { createWorker: options.createWorker } : {}),
    ortWasm: ortWasmSource(() => client.ortWasm(), assets),
    onRestart: (reason) => emit({ type: 'worker-restarted', reason }),
  });
  const visibility = options.visibility ?? documentVisibility();
  const submitted = { accepted: 0, repeated: 0, dropped: 0, setAside: 0 };
  const dropped: DroppedResult[] = [];
  let throttle = clampDuty(options.throttle ?? 1);
  let projects = options.projects ?? null;
  let pauseWhenHidden = options.pauseWhenHidden ?? true;
  let prefetch = options.prefetch ?? true;
  let manualPause = false;
  let phase: 'idle' | 'starting' | 'started' | 'stopping' | 'stopped' = 'idle';
  let lastState: VolunteerState = 'idle';
  let pipeline: Pipeline | null = null;
  let claim: KeyClaim | null = null;
  // A page that goes (a link followed, a reload, its tab closed) sends what it has and gives back what it will not compute.
  (globalThis as { addEventListener?: (type: 'pagehide', listener: () => void) => void }).addEventListener?.(
    'pagehide',
    () => leavePage(outbox, client, pipeline),
  );
  let device: Promise<{
    probe: DeviceProbe;
    calibration: CalibrationReport | null;
    capabilities: Capabilities;
  }> | null = null;

  function emit(event: VolunteerEvent): void {
    emitter.emit(event);
    updateState();
  }

  const hidden = () => visibility?.hidden() ?? false;

  function state(): VolunteerState {
    if (phase !== 'started') return phase;
    if (!pipeline) return 'starting';
    if (pipeline.paused) return pipeline.busy ? 'pausing' : 'paused';
    if (pipeline.waiting && !pipeline.current) return 'waiting';
    return 'running';
  }

  function updateState(): void {
    const now = state();
    if (now === lastState) return;
    lastState = now;
    emitter.emit({ type: 'state', state: now });
  }

  function applyPause(): void {
    if (!pipeline) return;
    if (manualPause || (pauseWhenHidden && hidden())) pipeline.pause();
    else pipeline.resume();
    updateState();
  }

  const unsubscribe = visibility?.subscribe(applyPause) ?? (() => undefined);

  const submitter = new Submitter({
    outbox,
    transport: client,
    ...(options.submitBatchSize ? { batchSize: options.submitBatchSize } : {}),
    events: {
      settled: (entries, accepted, repeated) => {
        submitted.accepted += accepted;
        submitted.repeated += repeated;
        emit({ type: 'submitted', leases: entries.map((e) => e.id), accepted, repeated });
        pipeline?.resultsAccepted();
      },
      dropped: (entry, reason) => {
        submitted.dropped++;
        remember({ lease: entry.id, code: reason.code, message: reason.message, kind: 'refused' });
        emit({ type: 'dropped', lease: entry.id, code: reason.code, message: reason.message });
      },
      setAside: (entry, reason, failures) => {
        submitted.dropped++;
        submitted.setAside++;
        const message = `${reason.message} (failed ${failures} times; kept aside in this browser)`;
        remember({ lease: entry.id, code: reason.code, message, kind: 'set-aside' });
        emit({ type: 'set-aside', lease: entry.id, code: reason.code, message: reason.message, failures });
      },
      retrying: (reason, delayMs) =>
        emit({ type: 'warning', message: `submit failed (${reason.message}); retrying in ${Math.round(delayMs)} ms` }),
    },
  });

  function remember(result: DroppedResult): void {
    dropped.push(result);
    if (dropped.length > 50) dropped.shift();
  }

  const kick = () => {
    submitter.kick().catch((error: Error) => emit({ type: 'warning', message: `submitter failed: ${error.message}` }));
  };

  function examine() {
    device ??= (async () => {
      const probe = await host.probe();
      let calibration: CalibrationReport | null = null;
      if (options.calibration !== false) {
        const store =
          options.calibrationCache === false ? null : (options.calibrationCache ?? defaultCalibrationStore());
        const key = calibrationKey(probe, typeof navigator === 'undefined' ? '' : navigator.userAgent);
        calibration = store ? readCalibration(store, key, Date.now()) : null;
        if (!calibration) {
          calibration = await host.calibrate(options.calibration ?? {});
          if (store) writeCalibration(store, key, calibration, Date.now());
        }
      }
      return { probe, calibration, capabilities: capabilitiesFrom(probe, calibration, options.backends) };
    })();
    return device;
  }

  const volunteer: Volunteer = {
    id: identity.publicKeyText,

    async start() {
      if (phase === 'started' || phase === 'starting') return;
      phase = 'starting';
      updateState();
      const [{ capabilities }, token, claimed] = await Promise.all([
        examine(),
        client.token(),
        claimKey(identity.publicKeyText),
      ]);
      claim = claimed;
      if (!token.ok) emit({ type: 'warning', message: `authentication failed: ${token.error.message}` });
      pipeline = new Pipeline({
        client,
        compute: host,
        assets: (hashes) => assets.get(hashes),
        outbox,
        capabilities,
        onResult: kick,
        emit,
        verify: (job) => verifier.check(job),
        projects,
        prefetch,
        throttle,
        // The one page computing for the key takes back what its earlier page left held.
        resume: claimed.sole,
        ...(options.project ? { project: options.project } : {}),
        ...(options.maxIdleWaitMs !== undefined ? { maxIdleWaitMs: options.maxIdleWaitMs } : {}),
        ...(options.heartbeatCheckMs !== undefined ? { heartbeatCheckMs: options.heartbeatCheckMs } : {}),
      });
      phase = 'started';
      applyPause();
      pipeline.start();
      kick(); // results left in a persistent outbox by an earlier session
      updateState();
    },

    async stop(mode = 'finish') {
      if (phase !== 'started' || !pipeline) return;
      phase = 'stopping';
      updateState();
      await pipeline.stop(mode);
      claim?.release();
      claim = null;
      phase = 'stopped';
      updateState();
      kick();
    },

    pause() {
      manualPause = true;
      applyPause();
    },

    resume() {
      manualPause = false;
      applyPause();
    },

    setThrottle(duty) {
      throttle = clampDuty(duty);
      pipeline?.setThrottle(throttle);
    },

    setProjects(list) {
      projects = list;
      pipeline?.setProjects(list);
    },

    setPauseWhenHidden(enabled) {
      pauseWhenHidden = enabled;
      applyPause();
    },

    setPrefetch(enabled) {
      prefetch = enabled;
      pipeline?.setPrefetch(enabled);
    },

    async status() {
      const p = pipeline;
      return {
        state: state(),
        volunteer: identity.publicKeyText,
        throttle,
        pauseWhenHidden,
        hidden: hidden(),
        prefetch,
        current: p?.current ?? null,
        counts: {
          leased: p?.counts.leased ?? 0,
          computed: p?.counts.computed ?? 0,
          failed: p?.counts.failed ?? 0,
          accepted: submitted.accepted,
          repeated: submitted.repeated,
          dropped: submitted.dropped,
          setAside: submitted.setAside,
          outbox: await outbox.size(),
        },
        computeMs: p?.computeMs ?? 0,
        wallMs: p?.wallMs ?? 0,
        dutyCycle: p?.dutyCycle() ?? null,
        wuPerSecond: p?.wuPerSecond() ?? null,
        firstComputeMs: p?.firstComputeAt != null ? p.firstComputeAt - performance.timeOrigin : null,
        workerRestarts: host.restarts,
        deviceLosses: host.deviceLosses,
        lastError: p?.lastError ?? null,
        dropped: [...dropped],
      };
    },

    on: (type, listener) => emitter.on(type, listener),

    async capabilities() {
      return (await examine()).capabilities;
    },

    async calibration() {
      return (await examine()).calibration;
    },

    async flush(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      // A result may reach the outbox after a drain found it empty (a work unit finishing as Stop takes
      // effect): drain again until the outbox is seen empty, or the time is up.
      for (;;) {
        const left = deadline - Date.now();
        if (left <= 0) return (await outbox.size()) === 0;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const drained = submitter.kick().then(() => true);
        const late = new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), left);
        });
        submitter.retryNow();
        const finished = await Promise.race([drained, late]);
        clearTimeout(timer);
        if ((await outbox.size()) === 0) return true;
        if (!finished) return false;
      }
    },

    receipts: (after, limit) => client.receipts(after, limit),
    stats: () => client.me(),
    openFundedProject: (name) => client.openFundedProject(name),
    peerRoom: (project) => client.peerRoom(project),

    async close(timeoutMs = 5000) {
      await volunteer.stop('now');
      await volunteer.flush(timeoutMs);
      submitter.close();
      unsubscribe();
      host.close();
      phase = 'stopped';
      updateState();
    },

    __testHooks: {
      destroyDevice: (when = 'during-next-run') => host.api.destroyDevice(when),
      host,
    },
  };
  return volunteer;
}
