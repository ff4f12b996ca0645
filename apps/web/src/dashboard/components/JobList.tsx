// The project's jobs, newest first, with their state and how far each has got.
import type { Job, JobProgress } from '@bricolage/protocol';
import { useEffect, useState } from 'react';
import type { ResearcherApi } from '../api';
import { at, count, total } from '../format';
import { href } from '../route';

interface Row {
  readonly job: Job;
  readonly progress: JobProgress | null;
}

export function JobList({ api }: { api: ResearcherApi }) {
  const [rows, setRows] = useState<readonly Row[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `generation` is the Refresh button.
  useEffect(() => {
    let live = true;
    void (async () => {
      const jobs = await api.jobs();
      if (!live) return;
      if (!jobs.ok) {
        setProblem(jobs.error.message);
        return;
      }
      const sorted = [...jobs.value].sort((a, b) => b.createdAt - a.createdAt);
      const details = await Promise.all(sorted.map((j) => api.job(j.id)));
      if (!live) return;
      setProblem(null);
      setRows(sorted.map((job, i) => ({ job, progress: details[i]?.ok ? details[i].value.progress : null })));
    })();
    return () => {
      live = false;
    };
  }, [api, generation]);

  return (
    <section className="card" aria-labelledby="jobs-h">
      <div className="card-head">
        <h2 id="jobs-h" tabIndex={-1}>
          Jobs
        </h2>
        <div className="actions tight">
          <button type="button" onClick={() => setGeneration((g) => g + 1)}>
            Refresh
          </button>
          <a className="button primary-link" href={href({ page: 'new' })}>
            New job
          </a>
        </div>
      </div>
      {problem && (
        <p className="error-text" role="alert">
          Could not list the jobs: {problem}
        </p>
      )}
      {rows === null && !problem && <p className="muted">Loading…</p>}
      {rows?.length === 0 && (
        <p className="empty">
          No jobs yet. <a href={href({ page: 'new' })}>Create one from its files.</a>
        </p>
      )}
      {rows && rows.length > 0 && (
        <div className="table-scroll">
          <table data-testid="job-list">
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">State</th>
                <th scope="col" className="num">
                  Validated
                </th>
                <th scope="col" className="num">
                  Work units
                </th>
                <th scope="col">Why</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ job, progress }) => (
                <tr key={job.id}>
                  <td>
                    <a href={href({ page: 'job', id: job.id })}>{job.definition.name}</a>
                  </td>
                  <td>
                    <span className={`badge job-${job.state}`}>{job.state}</span>
                  </td>
                  <td className="num">{progress ? count(progress.counts.validated) : '—'}</td>
                  <td className="num">{progress ? count(total(progress.counts)) : '—'}</td>
                  <td className="why">{progress?.diagnosis.why ?? ''}</td>
                  <td>{at(job.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
