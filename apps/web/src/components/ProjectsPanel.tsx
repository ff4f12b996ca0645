// What this grid runs and who asks for it: visible before anything starts.
import { describeChecking, keyFingerprint } from '@bricolage/protocol';
import { memo } from 'react';
import type { View } from '../session';

export const ProjectsPanel = memo(function ProjectsPanel(
  view: Pick<View, 'projects' | 'reachable'> & {
    /** The projects chosen to serve; null: every project (nothing chosen yet). */
    readonly served: readonly string[] | null;
    readonly onServe: (project: string, serve: boolean) => void;
  },
) {
  return (
    <section className="card projects" aria-labelledby="projects-h">
      <h2 id="projects-h">What runs here</h2>
      {view.projects.length === 0 ? (
        <p className="muted">
          {view.reachable
            ? 'This coordinator has no projects yet.'
            : 'The project list is unavailable while the coordinator cannot be reached.'}
        </p>
      ) : (
        <ul className="project-list">
          {view.projects.map((p) => (
            <li key={p.id}>
              <div className="field check project-choice">
                <input
                  id={`serve-${p.id}`}
                  type="checkbox"
                  checked={view.served === null || view.served.includes(p.id)}
                  onChange={(e) => view.onServe(p.id, e.currentTarget.checked)}
                />
                <label htmlFor={`serve-${p.id}`} className="project-name">
                  {p.name}
                </label>
              </div>
              <p className="muted">Run by {p.owner || 'an unnamed owner'}</p>
              <p className="muted small" data-testid="project-key">
                {p.signingKey
                  ? `Jobs signed with the project’s key ${keyFingerprint(p.signingKey)}`
                  : 'Jobs not signed by the project'}
              </p>
              {p.description && <p className="description">{p.description}</p>}
              {p.jobs.length > 0 && (
                <ul className="job-list">
                  {p.jobs.map((j) => (
                    <li key={j.id} data-testid="job-checking" data-job={j.id}>
                      <span className="job-name">{j.name}</span>
                      {j.state === 'paused' ? ' (paused)' : ''}: {describeChecking(j.checking)}
                    </li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ul>
      )}
      <p className="muted small">
        Untick a project to stop serving it; once you have chosen, a project added later waits for your tick. Each
        project’s code is a WebGPU shader, a WebAssembly module or an ONNX model, with no access to the page, your files
        or the network: the worker gets input bytes and returns output bytes.
      </p>
    </section>
  );
});
