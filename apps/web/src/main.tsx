// Entry point of the volunteer page.
// First: the page's policy forbids eval, and zod must know before any schema is built (see the module).
import '@bricolage/protocol/jitless';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { publishAutomation } from './automation';
import { Session } from './session';
import './styles.css';

performance.mark('bricolage:script');
const session = new Session(location.origin, new URLSearchParams(location.search).get('project'));
publishAutomation(session);
createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <App session={session} />
  </StrictMode>,
);
session.boot().catch((error: Error) => console.error('the page failed to start', error));
