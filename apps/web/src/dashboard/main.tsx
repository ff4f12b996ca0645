// Entry point of the researcher dashboard (/dashboard): its own chunk, so the volunteer page loads none of it.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Dashboard } from './components/Dashboard';
import '../styles.css';
import 'uplot/dist/uPlot.min.css';
import './dashboard.css';

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <Dashboard origin={location.origin} />
  </StrictMode>,
);
