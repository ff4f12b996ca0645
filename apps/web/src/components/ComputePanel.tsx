// The main card: Start/Stop, what the tab is doing right now and for whom, and what it has done.
import { keyFingerprint } from '@bricolage/protocol';
import { useEffect, useState } from 'react';
import { formatCredit, formatDuration, formatRate } from '../format';
import type { Session, View } from '../session';
import { whileBusy } from './busy';

const LABELS: Record<View['phase'], string> = {
  loading: 'Loading',
  idle: 'Not running',
  starting: 'Starting',
  computing: 'Computing',
  waiting: 'No work right now',
  paused: 'Paused',
  offline: 'Coordinator unreachable',
  stopping: 'Stopping',
  stopped: 'Stopped',
  failed: 'Cannot run',
};

/** How each known pause reason is worded, briefly while the work unit in hand finishes, then in full. */
const PAUSED_BECAUSE: Record<NonNullable<View['pauseReason']>, { short: string; long: string; testId?: string }> = {
  hidden: {
    short: 'this tab is hidden',
    long: 'Paused while this tab is hidden; it carries on when you come back. (Turn off “pause when hidden” to keep going.)',
  },
  offscreen: {
    short: 'this card is out of view',
    long: 'Paused while this card is out of view; it carries on when it is back in view.',
  },
  battery: {
    short: 'this device is on battery',
    long: 'Paused: this device is running on battery (no computing, no peer connections). It carries on when it is plugged in.',
    testId: 'battery-pause',
  },
};

export function ComputePanel({ view, session }: { view: View; session: Session }) {
  const { phase } = view;
  const running = view.active;
  return (
    <section className="card compute" aria-labelledby="compute-h" data-phase={phase}>
      <div className="card-head">
        <h2 id="compute-h">Donate this tab</h2>
        <span className={`badge ${phase}`} data-testid="phase">
          {phase === 'waiting' && view.heldBack ? 'Held back' : LABELS[phase]}
        </span>
      </div>
      <div className="actions">
        {running ? (
          <button
            type="button"
            className="primary stop"
            {...whileBusy(phase === 'stopping', () => void session.stop())}
          >
            Stop
          </button>
        ) : (
          // The same element as Stop, so the focus stays on it from one to the other; a Start that cannot be pressed
          // yet is aria-disabled (see busy.ts), not disabled, so that a Stop pressed from the keyboard keeps it.
          <button
            type="button"
            className="primary start"
            {...whileBusy(
              phase === 'loading' || phase === 'stopping' || phase === 'failed',
              () => void session.start(),
            )}
          >
            {phase === 'stopped' ? 'Start again' : 'Start'}
          </button>
        )}
      </div>
      <div aria-live="polite" className="phase-text" data-testid="phase-text">
        <PhaseText view={view} />
      </div>
      {view.serving?.project && (
        <div className="serving" data-testid="serving">
          <h3>Serving</h3>
          <p className="project-name">{view.serving.project.name}</p>
          <p className="muted">
            Run by {view.serving.project.owner || 'an unnamed owner'}
            {view.serving.jobName ? ` · job “${view.serving.jobName}”` : ''}
          </p>
          {view.serving.project.description && <p className="description">{view.serving.project.description}</p>}
          {view.serving.signer !== undefined && (
            <p className="muted small" data-testid="signer">
              {view.serving.signer === null
                ? 'Its project does not sign its jobs: what runs is what the coordinator sends.'
                : `Code signed by the project’s key ${keyFingerprint(view.serving.signer)}, checked before it ran.`}
            </p>
          )}
        </div>
      )}
      {view.device && <DeviceLine device={view.device} />}
      {view.current ? (
        <CurrentLine view={view} />
      ) : (
        view.last &&
        view.active && (
          <div className="current" data-testid="last">
            <h3>Last work unit</h3>
            <p>
              <code>{view.last.workUnit}</code> computed in {formatDuration(view.last.elapsedMs)}
            </p>
          </div>
        )
      )}
      <dl className="stats" data-testid="stats" data-in-hand={view.inHand}>
        <Stat label="Computed (this session)" value={view.session?.computed ?? 0} testId="stat-computed" />
        <Stat label="Validated" value={view.stats?.valid ?? '—'} testId="stat-validated" />
        <Stat label="Pending validation" value={view.stats?.pending ?? '—'} testId="stat-pending" />
        <Stat
          label="Rejected"
          value={view.stats ? view.stats.invalid + view.stats.errors : '—'}
          testId="stat-rejected"
          title="Results that disagreed with the quorum, or ended in an error"
        />
        {/* The Wallet's balance, as the coordinator counts it (walletOf's rules): what the volunteer may spend. */}
        <Stat
          label="Credit balance"
          value={view.stats ? formatCredit(view.stats.balance) : '—'}
          testId="stat-credit"
          title="What your own jobs may still spend: see Wallet"
        />
        <Stat label="Rate" value={formatRate(view.wuPerMinute)} testId="stat-rate" />
        <Stat
          label="Time spent computing"
          value={view.dutyCycle === null ? '—' : `${Math.round(view.dutyCycle * 100)}%`}
          testId="stat-duty"
          title="Measured over the last few work units: compute time ÷ wall time"
        />
        <Stat label="Waiting to be delivered" value={view.outbox} testId="stat-outbox" />
      </dl>
      {view.dropped.length > 0 && (
        <div className="dropped" data-testid="dropped">
          <h3>
            Results not delivered:{' '}
            <span data-testid="dropped-count">{view.session?.dropped ?? view.dropped.length}</span>
          </h3>
          <p className="muted">
            These were not counted. Usually the coordinator refused a result because its lease ran out while this tab
            could not reach it, and the work unit went to someone else: that is final. A result the coordinator failed
            on again and again is set aside instead, kept in this browser, so that the results after it still go
            through: once the coordinator is fixed, Retry sends it again.
            {view.dropped.length > 5 ? ' The last five:' : ''}
          </p>
          <ul>
            {view.dropped.slice(-5).map((d) => (
              <li key={d.lease} data-kind={d.kind}>
                {d.lease} {d.kind.replace('-', ' ')}: <code>{d.code}</code> — {d.message}
              </li>
            ))}
          </ul>
          {(view.session?.setAside ?? 0) > 0 && (
            <button type="button" data-testid="retry-set-aside" onClick={() => void session.deliver('retry')}>
              Retry the results set aside
            </button>
          )}
        </div>
      )}
    </section>
  );
}

function PhaseText({ view }: { view: View }) {
  switch (view.phase) {
    case 'loading':
      return <p>Loading…</p>;
    case 'failed':
      return <p>{view.fatal}</p>;
    case 'idle':
      return (
        <p>
          Nothing runs until you press <strong>Start</strong>. Then this tab creates a key for you (the first time),
          spends a second or two checking whether WebGPU or WebAssembly is faster here, and computes work units for the
          projects listed below in a background worker, at the pace you set. <strong>Stop</strong> lets the work unit
          under way finish and stops; closing the tab stops at once.
        </p>
      );
    case 'starting':
      return <p>Checking this device and signing in with your key…</p>;
    case 'computing':
      return (
        <p>
          Computing. Each result is sent to the coordinator, which checks it as its job says (under What runs here) and
          credits it once it is accepted.
        </p>
      );
    case 'waiting':
      // The coordinator says when it holds work back from this key: its own errors, not the grid, are why.
      if (view.heldBack?.why === 'errors')
        return (
          <p data-testid="held-back">
            <strong>Held back for now.</strong> Too many of this key's recent results were errors, so the coordinator
            gives it no work until {new Date(view.heldBack.until).toLocaleTimeString()}. This tab asks again then by
            itself.
          </p>
        );
      if (view.heldBack)
        return (
          <p data-testid="held-back">
            <strong>No work for this key.</strong> The coordinator no longer counts its results (after a failed
            known-answer check or repeated disagreement with other volunteers).
          </p>
        );
      return (
        <p data-testid="no-work">
          <strong>No work right now.</strong> The coordinator has nothing to hand this tab at the moment: every work
          unit is done or being computed by someone else. This tab asks again by itself when the coordinator says to
          (within seconds when there is simply no work) and uses no processor time meanwhile.
        </p>
      );
    case 'paused': {
      // Pausing lets the work unit already in the worker finish: say so until it has, so no one waits for a quiet
      // device that is still computing. A reason is named only when it is known: never a guess.
      const why = view.pauseReason ? PAUSED_BECAUSE[view.pauseReason] : null;
      if (view.runtimeState === 'pausing')
        return (
          <p data-testid="pausing">Pausing: finishing the work unit in hand first{why ? ` (${why.short})` : ''}.</p>
        );
      return why ? <p data-testid={why.testId}>{why.long}</p> : <p>Paused.</p>;
    }
    case 'offline':
      if (!view.active)
        return (
          <p data-testid="offline">
            <strong>The coordinator cannot be reached right now.</strong> Your key and receipts are safe in this
            browser; this page keeps checking and shows when it is back.
          </p>
        );
      return (
        <p data-testid="offline">
          <strong>The coordinator cannot be reached</strong>
          {view.unreachableSince ? ` (since ${new Date(view.unreachableSince).toLocaleTimeString()})` : ''}. Results
          computed meanwhile are kept in this browser — {view.outbox} waiting — and delivered when it is back. Retrying
          by itself.
        </p>
      );
    case 'stopping':
      return <p>Stopping after the current work unit…</p>;
    case 'stopped':
      return <p>Stopped. Nothing runs until you press Start again.</p>;
  }
}

function DeviceLine({ device }: { device: View['device'] & object }) {
  const runsOn = device.backend === 'webgpu' ? `GPU (WebGPU): ${device.adapter}` : 'CPU (WebAssembly)';
  return (
    <div className="device" data-testid="device">
      <h3>Device</h3>
      <p>
        {runsOn}
        {device.backend === 'webgpu' && device.fallbackAdapter && (
          <span className="pill warn"> software fallback — no real GPU</span>
        )}
      </p>
      {device.backend !== 'webgpu' && device.adapter && (
        <p className="muted">
          WebGPU adapter: {device.adapter}
          {device.fallbackAdapter
            ? ' (a software fallback, slower than the CPU here, so not used)'
            : ' (slower here, so not used)'}
        </p>
      )}
      {device.backend === null && <p className="muted">No backend for the current job kind on this device.</p>}
    </div>
  );
}

function CurrentLine({ view }: { view: View }) {
  const current = view.current as NonNullable<View['current']>;
  const typical = view.typicalMs;
  // A work unit is one kernel dispatch: the runtime cannot report progress inside it, so this is an
  // estimate from the last few, shown only when work units are long enough to watch. The view does not change
  // while one runs, so the estimate moves on a clock of its own.
  const estimating = typical !== null && typical >= 1000;
  useRerenderEvery(ESTIMATE_MS, estimating);
  const elapsed = Date.now() - current.startedAt;
  const estimate = estimating ? Math.min(0.99, Math.max(0, elapsed / typical)) : null;
  return (
    <div className="current" data-testid="current">
      <h3>Current work unit</h3>
      <p>
        <code>{current.workUnit}</code>
        {current.jobName ? ` of “${current.jobName}”` : ''}
        {typical !== null && <span className="muted"> · about {formatDuration(typical)} each</span>}
      </p>
      {estimate === null ? (
        <progress aria-label="Current work unit (progress not measurable)" />
      ) : (
        <progress aria-label="Current work unit, estimated progress" max={1} value={estimate} />
      )}
    </div>
  );
}

const ESTIMATE_MS = 500;

/** Renders the component again every `ms` while `on`: for what follows the clock rather than the view. */
function useRerenderEvery(ms: number, on: boolean): void {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!on) return;
    const timer = setInterval(() => setTick((n) => n + 1), ms);
    return () => clearInterval(timer);
  }, [ms, on]);
}

function Stat({
  label,
  value,
  testId,
  title,
}: {
  label: string;
  value: string | number;
  testId: string;
  title?: string;
}) {
  return (
    <div title={title}>
      <dt>{label}</dt>
      <dd data-testid={testId}>{value}</dd>
    </div>
  );
}
