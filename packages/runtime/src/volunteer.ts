import { generateSigningKeyPair } from '@bricolage/protocol';
import { AssetCache } from './client/assets';
import { CoordinatorClient } from './client/coordinator-client';
import { JobVerifier } from './client/job-verifier';
import { ortWasmSource } from './client/ort-wasm-source';
import { Submitter } from './client/submitter';
import { DeliveryTally } from './delivery-tally';
import { Emitter, type VolunteerEvent, type VolunteerState } from './events';
import { DeviceExam } from './device-exam';
import { ComputeHost } from './host';
import { readyOnnxForListedWork } from './onnx-warm-up';
import type { VisibilitySource, Volunteer, VolunteerOptions } from './volunteer-api';
import { MemoryOutbox } from './outbox';
import { Pipeline } from './pipeline/pipeline';
import { type KeyClaim, claimKey } from './key-claim';
import { UnsentResults, leavePage } from './page-leave';
import { clampDuty } from './pipeline/throttle';

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
  const delivery = new DeliveryTally();
  // Results set aside by an earlier page, still in a durable outbox: shown, and retried on request, from the start.
  // An outbox that cannot be read stops nothing here: a page computes even where its results are not stored.
  await delivery.readAside(outbox).catch((error: Error) => console.warn('set-aside results not read', error));
  let throttle = clampDuty(options.throttle ?? 1);
  let projects = options.projects ?? null;
  let pauseWhenHidden = options.pauseWhenHidden ?? true;
  let prefetch = options.prefetch ?? true;
  let manualPause = false;
  let phase: 'idle' | 'starting' | 'started' | 'stopping' | 'stopped' = 'idle';
  let lastState: VolunteerState = 'idle';
  let pipeline: Pipeline | null = null;
  let claim: KeyClaim | null = null;
  const page = globalThis as {
    addEventListener?: (type: 'pagehide' | 'pageshow', listener: (event: { persisted?: boolean }) => void) => void;
  };
  // A page that goes (a link followed, a reload, its tab closed) sends what it has and gives back what it will not
  // compute, and asks for nothing more; shown again from the back-forward cache, it carries on.
  page.addEventListener?.('pagehide', () => leavePage(outbox, client, pipeline));
  page.addEventListener?.('pageshow', (event) => {
    if (event.persisted) pipeline?.back();
  });
  const device = new DeviceExam(host, options);
  const examine = () => device.examine();

  function emit(event: VolunteerEvent): void {
    emitter.emit(event);
    updateState();
  }

  const hidden = () => visibility?.hidden() ?? false;

  /** Paused by the page (battery, its own Pause) or by a hidden tab, where hidden tabs pause. */
  const pauseWanted = () => manualPause || (pauseWhenHidden && hidden());
  /** Starts that wait for the pause to lift before they examine the device: nothing computes while paused. */
  const mayStart: (() => void)[] = [];
  /** Each start's number: a start stopped while it waited must not go on once a later start is under way. */
  let starts = 0;

  function state(): VolunteerState {
    if (phase === 'starting' && !pipeline && pauseWanted()) return 'paused';
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
    if (pipeline) {
      if (pauseWanted()) pipeline.pause();
      else pipeline.resume();
    } else if (!pauseWanted()) {
      for (const go of mayStart.splice(0)) go();
    }
    updateState();
  }

  /** Resolves once nothing pauses this volunteer, or it is stopped meanwhile (then false). */
  async function untilMayStart(): Promise<boolean> {
    if (pauseWanted()) await new Promise<void>((resolve) => mayStart.push(resolve));
    return phase === 'starting';
  }

  const unsubscribe = visibility?.subscribe(applyPause) ?? (() => undefined);

  const submitter = new Submitter({
    outbox,
    transport: client,
    ...(options.submitBatchSize ? { batchSize: options.submitBatchSize } : {}),
    events: {
      settled: (entries, accepted, repeated) => {
        delivery.accepted += accepted;
        delivery.repeated += repeated;
        emit({ type: 'submitted', leases: entries.map((e) => e.id), accepted, repeated });
        pipeline?.resultsAccepted();
      },
      dropped: (entry, reason) => {
        delivery.lost({ lease: entry.id, code: reason.code, message: reason.message, kind: 'refused' });
        emit({ type: 'dropped', lease: entry.id, code: reason.code, message: reason.message });
      },
      setAside: (entry, reason, failures) => {
        delivery.setAside(entry.id, reason, failures);
        emit({ type: 'set-aside', lease: entry.id, code: reason.code, message: reason.message, failures });
      },
      retrying: (reason, delayMs) =>
        emit({ type: 'warning', message: `submit failed (${reason.message}); retrying in ${Math.round(delayMs)} ms` }),
    },
  });

  const kick = () => {
    submitter.kick().catch((error: Error) => emit({ type: 'warning', message: `submitter failed: ${error.message}` }));
  };

  const volunteer: Volunteer = {
    id: identity.publicKeyText,

    async start() {
      if (phase === 'started' || phase === 'starting') return;
      phase = 'starting';
      const attempt = ++starts;
      updateState();
      // Started while paused (on battery, or in a hidden tab): not even the device's calibration runs, and nothing
      // is leased, until the pause lifts.
      if (!(await untilMayStart()) || attempt !== starts) return;
      void readyOnnxForListedWork({
        backend: device.onnxBackend,
        listed: () => verifier.listed(),
        served: () => projects,
        ...(options.project ? { only: options.project } : {}),
        examined: examine,
        going: () => attempt === starts && (phase === 'starting' || phase === 'started') && !pauseWanted(),
        warm: (backend, stage) => host.warm(backend, stage),
      });
      const [{ capabilities }, token, claimed] = await Promise.all([
        examine(),
        client.token(),
        claimKey(identity.publicKeyText),
      ]);
      if (phase !== 'starting' || attempt !== starts) {
        // Stopped while it examined the device and signed in (and perhaps started again since).
        claimed.release();
        return;
      }
      claim = claimed;
      if (!token.ok) emit({ type: 'warning', message: `authentication failed: ${token.error.message}` });
      pipeline = new Pipeline({
        client,
        compute: host,
        assets: (hashes) => assets.get(hashes),
        outbox,
        capabilities,
        onResult: kick,
        emit: (event) => {
          // A result the outbox would not take: counted and listed with the results not delivered.
          if (event.type === 'dropped')
            delivery.lost({ lease: event.lease, code: event.code, message: event.message, kind: 'not-stored' });
          emit(event);
        },
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
      if (phase === 'starting' && !pipeline) {
        // Not started yet (waiting for a pause to lift, or examining the device): it never will be.
        phase = 'stopped';
        for (const go of mayStart.splice(0)) go();
        updateState();
        return;
      }
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
        heldBack: p?.heldBack ?? null,
        current: p?.current ?? null,
        counts: {
          leased: p?.counts.leased ?? 0,
          computed: p?.counts.computed ?? 0,
          failed: p?.counts.failed ?? 0,
          ...delivery.counts,
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
        dropped: delivery.dropped,
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

    async retrySetAside() {
      const moved = await outbox.retryAside();
      await delivery.readAside(outbox);
      kick();
      return moved;
    },

    readSetAside() {
      return delivery.readAside(outbox);
    },

    coordinatorBack() {
      pipeline?.outageOver();
      submitter.coordinatorBack();
    },

    receipts: (after, limit) => client.receipts(after, limit),
    stats: () => client.me(),
    openFundedProject: (name) => client.openFundedProject(name),
    peerRoom: (project) => client.peerRoom(project),
    exportCredit: (request) => client.exportCredit(request),
    settleExport: (requestId) => client.settleExport(requestId),
    importCredit: (receipts) => client.importCredit(receipts),

    async close(timeoutMs = 5000) {
      // No time to submit (consent withdrawn): nothing more is sent. Stop's kick, or a result written as the
      // stop takes effect, would otherwise start a submit that outlives the close; the outbox keeps them.
      if (timeoutMs <= 0) submitter.close();
      await volunteer.stop('now');
      if (timeoutMs > 0) await volunteer.flush(timeoutMs);
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
