// A new job from its files: dropped or chosen, read, checked in this browser (the WGSL compiled, with its
// errors' lines), shown, and created only when the person asks and everything checked out.
import { keyFingerprint, type Project } from '@bricolage/protocol';
import { checkWgsl, type WgslCheck } from '@bricolage/runtime/wgsl-check';
import { useEffect, useState } from 'react';
import type { ApiFailure, ResearcherApi } from '../api';
import { type Analysis, analyse, type CreateStep, creatable, createFromFiles, refusalAdvice } from '../create';
import { baseName, type Picked } from '../files';
import { bytes, count } from '../format';
import { href } from '../route';
import { DropZone } from './DropZone';

/** The key the project's jobs must be signed with: undefined while it is being read; null when there is none. */
type Signing = string | null | undefined;

export function CreateJob({ api, project }: { api: ResearcherApi; project: Project }) {
  const [files, setFiles] = useState<readonly Picked[]>([]);
  const [analysis, setAnalysis] = useState<Analysis | null>(null);
  const [checking, setChecking] = useState(false);
  const [step, setStep] = useState<CreateStep | null>(null);
  const [refusal, setRefusal] = useState<ApiFailure | null>(null);
  const [signingKey, setSigningKey] = useState<Signing>(undefined);

  // A project with a signing key takes only signed jobs, which this browser cannot make: said before any drop.
  useEffect(() => {
    let live = true;
    void api.signingKey(project.id).then((r) => {
      if (!live) return;
      if (!r.ok) console.warn(`could not read whether ${project.id}'s jobs are signed: ${r.error.message}`);
      // Unknown (the list did not answer): the files may still be dropped; a refusal then says what happened.
      setSigningKey(r.ok ? r.value : null);
    });
    return () => {
      live = false;
    };
  }, [api, project.id]);

  const take = async (picked: Picked[]) => {
    setFiles(picked);
    setRefusal(null);
    setAnalysis(null);
    setChecking(true);
    setAnalysis(await analyse(picked, checkWgsl));
    setChecking(false);
  };

  const create = async () => {
    if (analysis?.status !== 'resolved') return;
    setRefusal(null);
    const made = await createFromFiles(api, analysis.job, setStep);
    setStep(null);
    if (!made.ok) {
      setRefusal(made.error);
      return;
    }
    location.hash = href({ page: 'job', id: made.value.id });
  };

  return (
    <section className="card" aria-labelledby="new-h">
      <h2 id="new-h" tabIndex={-1}>
        New job
      </h2>
      <p>
        A job is a folder: a <code>job.json</code> manifest, and the kernel it names — a <code>.wgsl</code> file with an
        optional <code>.wasm</code> twin, or an <code>.onnx</code> model — plus any constant data. The WGSL is compiled
        in this browser first, so its errors show here with their lines before anything is uploaded.
      </p>
      {signingKey === undefined && <p className="muted">Reading whether this project’s jobs are signed…</p>}
      {signingKey && (
        <div className="notice" data-testid="signed-project">
          <div>
            <strong>This project’s jobs are signed with its key</strong> (<code>{keyFingerprint(signingKey)}</code>),
            and the coordinator takes no job without that signature. This dashboard cannot sign: create jobs with{' '}
            <code>bricolage job create</code>, which signs them with the key <code>bricolage project key</code> keeps.
          </div>
        </div>
      )}
      {signingKey === null && (
        <DropZone
          label="Drop the job’s folder or files here"
          hint="job.json, a .wgsl (and .wasm) or an .onnx, and the files of constant bindings"
          onFiles={(f) => void take(f)}
          disabled={step !== null}
          testId="job-files"
        />
      )}
      {files.length > 0 && (
        <ul className="file-list" aria-label="Files given">
          {files.map((f) => (
            <li key={f.path}>
              <code>{f.path}</code> <span className="muted small">{bytes(f.file.size)}</span>
            </li>
          ))}
        </ul>
      )}
      <div aria-live="polite">
        {checking && <p className="muted">Reading the files and compiling the kernel…</p>}
        {analysis && <AnalysisView analysis={analysis} />}
      </div>
      {analysis?.status === 'resolved' && (
        <div className="actions">
          <button
            type="button"
            className="primary"
            disabled={!creatable(analysis) || step !== null}
            onClick={() => void create()}
          >
            Create job
          </button>
        </div>
      )}
      {step && (
        <div className="field">
          <label htmlFor="create-progress">
            Step {step.done + 1} of {step.of}: {step.what}
          </label>
          <progress id="create-progress" max={step.of} value={step.done} />
        </div>
      )}
      {refusal && (
        <div className="notice error" role="alert" data-testid="create-refused">
          <div>
            <strong>The coordinator refused the job.</strong> {refusal.message}
            <p className="small">{refusalAdvice(refusal)}</p>
          </div>
        </div>
      )}
    </section>
  );
}

function AnalysisView({ analysis }: { analysis: Analysis }) {
  if (analysis.status === 'invalid')
    return (
      <div className="notice error" role="alert" data-testid="manifest-problem">
        <div>
          <strong>These files are not a job yet.</strong> {analysis.problem}
        </div>
      </div>
    );
  const { request } = analysis.job;
  const spec = request.spec;
  return (
    <div className="analysis">
      {analysis.wgsl && <WgslReport check={analysis.wgsl} shader={analysis.shader ?? 'the kernel'} />}
      <h3>The job</h3>
      <dl className="pairs" data-testid="job-summary">
        <dt>Name</dt>
        <dd>{request.name}</dd>
        <dt>Kind</dt>
        <dd>
          {spec.kind === 'wgsl'
            ? `WGSL, entry point ${spec.entryPoint}, dispatch ${spec.dispatch.join(' × ')}${spec.wasm ? ', with a wasm twin' : ', no wasm twin (WebGPU only)'}`
            : `ONNX model, ${spec.inputs.length} input(s), ${spec.outputs.length} output(s)`}
        </dd>
        {spec.kind === 'wgsl' && (
          <>
            <dt>Bindings</dt>
            <dd>
              {spec.bindings
                .map((b) => `${b.binding}: ${b.name} (${b.role}, ${b.type}, ${count(b.size)} B)`)
                .join(' · ')}
            </dd>
          </>
        )}
        <dt>Checking</dt>
        <dd>
          {request.redundancy?.minQuorum ?? 2} agreeing result(s) per work unit, comparator{' '}
          {request.comparator.kind === 'float'
            ? `float (rtol ${request.comparator.rtol.toExponential()}, atol ${request.comparator.atol.toExponential()})`
            : 'exact'}
        </dd>
        <dt>Assets</dt>
        <dd>
          {analysis.job.files.length === 0
            ? 'only blobs already stored, named by hash'
            : analysis.job.files.map((f) => `${baseName(f.name)} (${bytes(f.bytes.length)})`).join(', ')}
        </dd>
      </dl>
    </div>
  );
}

function WgslReport({ check, shader }: { check: WgslCheck; shader: string }) {
  const name = baseName(shader);
  if (check.status === 'unavailable')
    return (
      <p className="notice" data-testid="wgsl-check">
        {name} was not compiled here ({check.reason}); the coordinator checks that it parses and fits its bindings.
      </p>
    );
  if (check.status === 'ok')
    return (
      <p className="notice success" data-testid="wgsl-check">
        ✓ {name} compiles in this browser ({check.adapter}) and fits the bindings the manifest declares
        {check.messages.length > 0 ? `, with ${check.messages.length} warning(s)` : ''}.
      </p>
    );
  if (check.status === 'pipeline_error')
    return (
      <div className="notice error" role="alert" data-testid="wgsl-check">
        <div>
          <strong>{name} compiles, but does not fit the manifest’s bindings or entry point.</strong>
          <pre className="diagnostic">{check.message}</pre>
        </div>
      </div>
    );
  const errors = check.messages.filter((m) => m.type === 'error');
  return (
    <div className="notice error" role="alert" data-testid="wgsl-check">
      <div>
        <strong>
          {name} does not compile: {errors.length} error{errors.length === 1 ? '' : 's'} (compiled in this browser,{' '}
          {check.adapter}). Nothing was uploaded.
        </strong>
        <ol className="diagnostics">
          {errors.map((m) => (
            <li key={`${m.line}:${m.column}:${m.message}`}>
              <strong>
                {name}:{m.line}:{m.column}
              </strong>{' '}
              — {m.message}
              {m.excerpt && (
                <pre className="excerpt">
                  {`${String(m.line).padStart(4)} | ${m.excerpt}\n     | ${' '.repeat(Math.max(0, m.column - 1))}^`}
                </pre>
              )}
            </li>
          ))}
        </ol>
      </div>
    </div>
  );
}
