// The dashboard: sign in with a project token, then the project's jobs, a new job, or one job.
import type { Project } from '@bricolage/protocol';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { type ResearcherApi, researcherApi } from '../api';
import { href, parseRoute, type Route } from '../route';
import { forgetToken, storedToken, storeToken } from '../../dashboard-token';
import { CreateJob } from './CreateJob';
import { JobList } from './JobList';
import { JobPage } from './JobPage';
import { SignIn } from './SignIn';

type Session =
  | { readonly state: 'checking' }
  | { readonly state: 'signed-out'; readonly problem: string | null }
  | { readonly state: 'signed-in'; readonly api: ResearcherApi; readonly project: Project };

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  return route;
}

export function Dashboard({ origin }: { origin: string }) {
  const [session, setSession] = useState<Session>({ state: 'checking' });
  const route = useRoute();

  const signIn = useCallback(
    async (token: string): Promise<string | null> => {
      const api = researcherApi(origin, token);
      const project = await api.project();
      if (!project.ok) {
        const problem =
          project.error.status === 401
            ? `The coordinator refused this token: ${project.error.message}. A project token starts with brk_ and is shown once, when the project is created.`
            : `Could not sign in: ${project.error.message}`;
        return problem;
      }
      storeToken(token);
      setSession({ state: 'signed-in', api, project: project.value });
      return null;
    },
    [origin],
  );

  useEffect(() => {
    const token = storedToken();
    if (!token) {
      setSession({ state: 'signed-out', problem: null });
      return;
    }
    void signIn(token).then((problem) => {
      if (problem) {
        forgetToken();
        setSession({ state: 'signed-out', problem });
      }
    });
  }, [signIn]);

  const signOut = () => {
    forgetToken();
    setSession({ state: 'signed-out', problem: null });
  };

  return (
    <>
      <a className="skip" href="#main">
        Skip to the content
      </a>
      <header className="top">
        <div className="brand">
          <span className="logo" aria-hidden="true">
            ◧
          </span>
          <div>
            <h1>Bricolage dashboard</h1>
            <p className="tagline">
              Your project’s jobs on this grid: create them, feed them, watch them, collect the results.
            </p>
          </div>
        </div>
        {session.state === 'signed-in' && (
          <div className="session">
            <p>
              <span className="muted small">Project</span>{' '}
              <strong data-testid="project-name">{session.project.name}</strong>
            </p>
            <button type="button" className="quiet" onClick={signOut}>
              Sign out
            </button>
          </div>
        )}
      </header>
      {session.state === 'signed-in' && (
        <nav className="tabs" aria-label="Dashboard">
          <a href={href({ page: 'jobs' })} aria-current={route.page === 'jobs' ? 'page' : undefined}>
            Jobs
          </a>
          <a href={href({ page: 'new' })} aria-current={route.page === 'new' ? 'page' : undefined}>
            New job
          </a>
        </nav>
      )}
      <main id="main">
        {session.state === 'checking' && <p className="muted">Signing in…</p>}
        {session.state === 'signed-out' && <SignIn problem={session.problem} onSignIn={signIn} />}
        {session.state === 'signed-in' && <Page route={route} api={session.api} project={session.project} />}
      </main>
      <footer className="bottom">
        <p>
          The project token stays in this tab (sessionStorage) until you sign out or close it, and goes nowhere but{' '}
          <strong>{location.host}</strong>. The same API is described at{' '}
          <a href="/api/openapi.json">/api/openapi.json</a>.
        </p>
      </footer>
    </>
  );
}

function Page({ route, api, project }: { route: Route; api: ResearcherApi; project: Project }) {
  const heading = useRef<HTMLDivElement>(null);
  // A new place gets the focus, so keyboard and screen-reader users land on its heading.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the route is what changes the page.
  useEffect(() => {
    heading.current?.querySelector<HTMLElement>('h2')?.focus();
  }, [route]);
  const key = useMemo(() => href(route), [route]);
  return (
    <div ref={heading} key={key}>
      {route.page === 'jobs' && <JobList api={api} />}
      {route.page === 'new' && <CreateJob api={api} project={project} />}
      {route.page === 'job' && <JobPage api={api} id={route.id} />}
    </div>
  );
}
