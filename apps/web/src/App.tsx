// The volunteer page: what runs and for whom, the controls, what it has earned, and the key that proves it.
import { lazy, Suspense, useCallback, useSyncExternalStore } from 'react';
import { ComputePanel } from './components/ComputePanel';
import { IdentityPanel } from './components/IdentityPanel';
import { WalletPanel } from './components/WalletPanel';
import { Notices } from './components/Notices';
import { ProjectsPanel } from './components/ProjectsPanel';
import { ReceiptsPanel } from './components/ReceiptsPanel';
import { SettingsPanel } from './components/SettingsPanel';
import { shortKey } from './format';
import type { Session } from './session';

// Only for a job that publishes its picture (the demo): its own chunk, loaded when one is served.
const PicturePanel = lazy(() => import('./components/PicturePanel'));
// Other grids: not needed for the first paint, so not part of what the page loads at first; fetched at once
// all the same, so that it is there when the page has booted (it is shown from then on).
const gridsPanel = import('./components/GridsPanel');
const GridsPanel = lazy(() => gridsPanel.then((m) => ({ default: m.GridsPanel })));
// Shown only once this tab is in a room (after Start): not part of what the page loads at first.
const SwarmPanel = lazy(() => import('./components/SwarmPanel').then((m) => ({ default: m.SwarmPanel })));

export function App({ session }: { session: Session }) {
  const view = useSyncExternalStore(session.subscribe, session.view);
  const onServe = useCallback((project: string, serve: boolean) => void session.setServed(project, serve), [session]);
  return (
    <>
      <a className="skip" href="#main">
        Skip to the controls
      </a>
      <header className="top">
        <div className="brand">
          <span className="logo" aria-hidden="true">
            ◧
          </span>
          <div>
            <h1>Bricolage</h1>
            <p className="tagline">
              Donate this tab’s spare compute to open research — and keep a signed receipt for every validated result.
            </p>
          </div>
        </div>
        <dl className="facts">
          <div>
            <dt>Coordinator</dt>
            <dd>
              <span className={view.reachable ? 'pill ok' : 'pill bad'} data-testid="reachability">
                {view.reachable ? 'reachable' : 'unreachable'}
              </span>{' '}
              {location.host}
            </dd>
          </div>
          <div>
            <dt>Your key</dt>
            <dd data-testid="fingerprint-top">{view.identity ? view.identity.fingerprint : 'none yet'}</dd>
          </div>
        </dl>
      </header>
      <main id="main">
        {view.fatal && (
          <div className="notice error" role="alert">
            <strong>This page cannot run here.</strong> {view.fatal}
          </div>
        )}
        {view.keyChanged && (
          <div className="notice error" role="alert">
            <strong>The coordinator’s key changed.</strong> This browser first saw {shortKey(view.keyChanged.was)}; it
            now publishes {shortKey(view.keyChanged.now)}. Receipts are checked against the key it publishes now;
            receipts from the old key will not verify against it.
          </div>
        )}
        <Notices notices={view.notices} onDismiss={(id) => session.dismiss(id)} />
        <div className="grid">
          <ComputePanel view={view} session={session} />
          {view.picture && (
            <Suspense fallback={null}>
              <PicturePanel
                key={view.picture.job}
                session={session}
                job={view.picture.job}
                name={view.picture.name}
                active={view.active}
              />
            </Suspense>
          )}
          {view.swarms.length > 0 && (
            <Suspense fallback={null}>
              <SwarmPanel swarms={view.swarms} projects={view.projects} fetches={view.assetFetches} />
            </Suspense>
          )}
          <SettingsPanel settings={view.settings} battery={view.battery} session={session} />
          <ProjectsPanel
            projects={view.projects}
            reachable={view.reachable}
            served={view.settings.servedProjects}
            onServe={onServe}
          />
          {view.booted && session.grids && (
            <Suspense fallback={null}>
              <GridsPanel
                grids={session.grids}
                homeKey={view.keyChanged ? null : view.coordinatorKey}
                homeHonours={view.honouredLogs}
              />
            </Suspense>
          )}
          <ReceiptsPanel
            audit={view.audit}
            busy={view.busy}
            identity={view.identity}
            projects={view.projects}
            receipts={view.receipts}
            receiptsShown={view.receiptsShown}
            totals={view.totals}
            session={session}
          />
          <WalletPanel identity={view.identity} stats={view.stats} totals={view.totals} session={session} />
          <IdentityPanel
            active={view.active}
            busy={view.busy}
            identity={view.identity}
            stats={view.stats}
            session={session}
          />
        </div>
      </main>
      <footer className="bottom">
        <p>
          This page loads nothing from anywhere but <strong>{location.host}</strong>: no fonts, no CDN, no analytics; it
          connects to no other site but the grids you add. Work runs in a background worker, only after you press Start,
          and stops when you press Stop or close the tab.
          {view.peersOn !== false && (
            <span data-testid="footer-peers">
              {' '}
              From Start to Stop it {view.peersOn ? 'also connects' : 'may also connect'} directly (WebRTC) to other
              volunteers of the projects it serves to share job files, each checked against its hash
              {view.peersOn ? '' : ', if this grid lets volunteers meet'}.
            </span>
          )}
        </p>
      </footer>
    </>
  );
}
