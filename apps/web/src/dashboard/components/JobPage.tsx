// One job, live: its state and why, the controls, units per state, throughput and volunteers over time,
// agreement, reissues and errors, the picture its results make (for image jobs), adding work units, and
// the results download.
import { ioSizes, type Job, type JobProgress, WORK_UNIT_STATES, type WorkUnitState } from '@bricolage/protocol';
import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { whileBusy } from '../../components/busy';
import type { ResearcherApi } from '../api';
import { at, count, duration, percent, perMinute, total } from '../format';
import { eta, throughput, throughputChart } from '../series';
import { JobWatch } from '../watch';
import { Chart } from './Chart';
import { JobControls } from './JobControls';
import { Mosaic, type MosaicHandle } from './Mosaic';
import { UploadPanel } from './UploadPanel';

const STATE_LABEL: Record<WorkUnitState, string> = {
  unsent: 'Unsent',
  in_progress: 'In progress',
  validated: 'Validated',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export function JobPage({ api, id }: { api: ResearcherApi; id: string }) {
  const [job, setJob] = useState<Job | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const mosaic = useRef<MosaicHandle>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const watch = useMemo(() => new JobWatch(api, id, (tiles) => mosaic.current?.paint(tiles)), [api, id]);
  const view = useSyncExternalStore(watch.subscribe, watch.view);

  useEffect(() => {
    let live = true;
    void api.job(id).then((r) => {
      if (!live) return;
      if (!r.ok) setProblem(r.error.message);
      else {
        setJob(r.value.job);
        watch.accept(r.value.progress);
      }
    });
    watch.start();
    return () => {
      live = false;
      watch.stop();
    };
  }, [api, id, watch]);

  // The dashboard focuses the page's heading on arrival, the "Loading…" one until the job is read: its own
  // heading takes the focus over, unless the person has moved it elsewhere meanwhile.
  const loaded = job !== null;
  useEffect(() => {
    if (loaded && document.activeElement === document.body) heading.current?.focus();
  }, [loaded]);

  if (problem)
    return (
      <section className="card">
        <h2 tabIndex={-1}>Job {id}</h2>
        <p className="error-text" role="alert">
          {problem}
        </p>
      </section>
    );
  if (!job)
    return (
      <section className="card">
        <h2 tabIndex={-1}>Job {id}</h2>
        <p className="muted">Loading…</p>
      </section>
    );

  const p = view.progress;
  const state = p?.state ?? job.state;
  return (
    <div className="job-page" data-testid="job-page" data-state={state}>
      <section className="card" aria-labelledby="job-h">
        <div className="card-head">
          <h2 id="job-h" tabIndex={-1} ref={heading}>
            {job.definition.name}
          </h2>
          <span className={`badge job-${state}`} data-testid="job-state">
            {state}
          </span>
        </div>
        <p className="muted small">
          <code>{job.id}</code> · created {at(job.createdAt)} · {job.definition.spec.kind.toUpperCase()}
          {job.definition.spec.kind === 'wgsl' && (job.definition.spec.wasm ? ' with a wasm twin' : ', WebGPU only')} ·{' '}
          {job.definition.redundancy.minQuorum} agreeing result(s) per unit
        </p>
        {job.definition.description && <p className="description">{job.definition.description}</p>}
        <JobControls api={api} job={job} state={state} onProgress={(q) => watch.accept(q)} />
        {p && <Diagnosis progress={p} connection={view.connection} problem={view.problem} />}
      </section>
      {p && <Figures progress={p} samples={view.samples} watchedRunning={view.watchedRunning} />}
      <Mosaic ref={mosaic} tiles={view.tiles} total={p ? total(p.counts) : null} shown={view.image === true} />
      {p && <Errors progress={p} />}
      {state !== 'cancelled' && (
        <UploadPanel
          api={api}
          job={job}
          onAdded={() => void api.job(id).then((r) => r.ok && watch.accept(r.value.progress))}
        />
      )}
      <Results api={api} job={job} progress={p} />
    </div>
  );
}

function Diagnosis({
  progress,
  connection,
  problem,
}: {
  progress: JobProgress;
  connection: string;
  problem: string | null;
}) {
  const d = progress.diagnosis;
  return (
    <>
      <p
        className={`diagnosis${d.stalled ? ' stalled' : ''}`}
        data-testid="diagnosis"
        role={d.stalled ? 'alert' : 'status'}
      >
        {d.stalled ? <strong>Not progressing: </strong> : null}
        {d.why}
      </p>
      {connection !== 'live' && (
        <p className="muted small" data-testid="connection">
          Live updates {connection}
          {problem ? `: ${problem}` : ''}.
        </p>
      )}
    </>
  );
}

function Figures({
  progress,
  samples,
  watchedRunning,
}: {
  progress: JobProgress;
  samples: Parameters<typeof throughput>[0];
  watchedRunning: boolean;
}) {
  const c = progress.counts;
  const all = total(c);
  const rates = useMemo(() => throughput(samples), [samples]);
  const times = useMemo(() => samples.map((s) => s.at / 1000), [samples]);
  const active = useMemo(() => samples.map((s) => s.active), [samples]);
  const remaining = c.unsent + c.in_progress;
  const left = progress.state === 'active' ? eta(samples, remaining) : null;
  // Once a job is completed or cancelled nothing is computing: its last rate is history, shown by the chart.
  const running = progress.state === 'active' || progress.state === 'paused';
  const rate = running ? (rates.at(-1) ?? null) : null;
  const chart = throughputChart(progress.state, samples, watchedRunning);
  const r = progress.replicas;
  return (
    <section className="card" aria-labelledby="progress-h">
      <h2 id="progress-h">Progress</h2>
      <div className="state-bar" aria-hidden="true">
        {WORK_UNIT_STATES.map((s) =>
          c[s] > 0 ? (
            <span key={s} className={`seg ${s}`} style={{ flexGrow: c[s] }} title={`${STATE_LABEL[s]}: ${c[s]}`} />
          ) : null,
        )}
      </div>
      <dl className="stats" data-testid="counts">
        {WORK_UNIT_STATES.map((s) => (
          <div key={s}>
            <dt>
              <span className={`swatch ${s}`} aria-hidden="true" /> {STATE_LABEL[s]}
            </dt>
            <dd data-testid={`count-${s}`}>{count(c[s])}</dd>
          </div>
        ))}
        <div>
          <dt>Known-answer units</dt>
          <dd>{count(progress.knownAnswer)}</dd>
        </div>
        {/* Failed in the results, so counted there, but the researcher's expected outputs to check, not volunteers' failures. */}
        {progress.suspectAnswers > 0 ? (
          <div>
            <dt>Of the failed: known answers found suspect</dt>
            <dd data-testid="suspect-answers">{count(progress.suspectAnswers)}</dd>
          </div>
        ) : null}
      </dl>
      <dl className="stats" data-testid="figures">
        <div>
          <dt>Done</dt>
          <dd>{percent(c.validated + c.failed, all)}</dd>
        </div>
        <div>
          <dt>Throughput</dt>
          <dd data-testid="throughput">{perMinute(rate)}</dd>
        </div>
        <div>
          <dt>ETA</dt>
          <dd data-testid="eta">
            {progress.state === 'completed' ? 'done' : progress.state === 'active' ? duration(left) : progress.state}
          </dd>
        </div>
        <div>
          <dt>Volunteers on it</dt>
          <dd data-testid="active-volunteers">
            {count(progress.activeVolunteers)}
            <span className="sub">
              of {count(progress.diagnosis.volunteers.eligible)} able, {count(progress.diagnosis.volunteers.connected)}{' '}
              online
            </span>
          </dd>
        </div>
        <div>
          <dt>Agreement</dt>
          <dd data-testid="agreement">{percent(r.valid, r.valid + r.invalid)}</dd>
        </div>
        <div>
          <dt>Reissued replicas</dt>
          <dd data-testid="reissued">
            {count(r.reissued)}
            <span className="sub">
              of {count(r.issued)} issued
              {r.givenBack > 0 ? `, ${count(r.givenBack)} given back` : ''}
              {r.withdrawn > 0 ? `, ${count(r.withdrawn)} withdrawn` : ''}
            </span>
          </dd>
        </div>
        <div>
          <dt>Errors</dt>
          <dd data-testid="error-count">{count(r.errors)}</dd>
        </div>
        <div>
          <dt>Credit granted</dt>
          <dd>{count(Math.round(progress.credit))}</dd>
        </div>
      </dl>
      <div className="charts">
        <Chart
          title="Throughput"
          summary={chart.caption}
          drawn={chart.drawn}
          times={times}
          values={rates}
          unit="units / min"
          colour="#2f7ed8"
          testId="chart-throughput"
        />
        <Chart
          title="Volunteers"
          summary={`${count(progress.activeVolunteers)} holding this job’s work units now`}
          drawn={chart.drawn}
          times={times}
          values={active}
          unit="volunteers"
          colour="#c2410c"
          testId="chart-volunteers"
        />
      </div>
    </section>
  );
}

function Errors({ progress }: { progress: JobProgress }) {
  if (progress.errors.length === 0) return null;
  return (
    <section className="card" aria-labelledby="errors-h">
      <h2 id="errors-h">Errors by code</h2>
      <p className="small muted">
        Volunteers’ error results and leases that ran out without a result; a unit is failed once more than{' '}
        <code>maxErrorResults</code> of them count against it (a key’s errors beyond its allowance, and refusals of a
        job a volunteer could not verify, do not count). The latest of each kind:
      </p>
      <div className="table-scroll">
        <table data-testid="errors">
          <thead>
            <tr>
              <th scope="col">Code</th>
              <th scope="col" className="num">
                Count
              </th>
              <th scope="col">Latest example</th>
            </tr>
          </thead>
          <tbody>
            {progress.errors.map((e) => (
              <tr key={e.code}>
                <td>
                  <code>{e.code}</code>
                </td>
                <td className="num">{count(e.count)}</td>
                <td className="example">
                  <code>{e.example.workUnit}</code>: {e.example.message}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Results({ api, job, progress }: { api: ResearcherApi; job: Job; progress: JobProgress | null }) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const finished = progress ? progress.counts.validated + progress.counts.failed : 0;
  const save = async () => {
    setBusy(true);
    setProblem(null);
    const file = await api.resultsFile(job.id);
    setBusy(false);
    if (!file.ok) {
      setProblem(file.error.message);
      return;
    }
    const url = URL.createObjectURL(file.value);
    const a = document.createElement('a');
    a.href = url;
    a.download = `${job.id}-results.ndjson`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  };
  const { output } = ioSizes(job.definition.spec);
  return (
    <section className="card" aria-labelledby="results-h">
      <h2 id="results-h">Results</h2>
      <p className="small">
        {count(finished)} finished work unit{finished === 1 ? '' : 's'} so far, as NDJSON: one{' '}
        <code>{'{"cursor", "workUnit", "tag", "state", "outputHash", "output", "reason", "at"}'}</code> per line,{' '}
        <code>output</code> the {count(output)} bytes of the canonical result in base64.
      </p>
      <div className="actions">
        <button type="button" disabled={finished === 0} {...whileBusy(busy, () => void save())}>
          {busy ? 'Preparing…' : 'Download results'}
        </button>
      </div>
      {problem && (
        <p className="error-text" role="alert">
          {problem}
        </p>
      )}
    </section>
  );
}
