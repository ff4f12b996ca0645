// Adding work units to a job: an NDJSON file or binary input files, checked whole, then sent in batches with
// a progress bar in units and bytes; Cancel stops it, Resume carries on where it stopped.
import { ioSizes, type Job } from '@bricolage/protocol';
import { useEffect, useState, useSyncExternalStore } from 'react';
import type { ResearcherApi } from '../api';
import type { Picked } from '../files';
import { bytes, count } from '../format';
import { binarySource, type InputSource, ndjsonSource } from '../inputs';
import { Upload, type UploadProgress } from '../upload';
import { DropZone } from './DropZone';

const IDLE: UploadProgress = {
  state: 'idle',
  units: { sent: 0, total: null },
  bytes: { sent: 0, total: 0 },
  replayed: 0,
  resumedFrom: null,
  message: null,
};

function sourceOf(files: readonly Picked[]): InputSource | string {
  const ndjson = files.filter((f) => f.path.endsWith('.ndjson') || f.path.endsWith('.jsonl'));
  if (ndjson.length === 1 && files.length === 1) return ndjsonSource((ndjson[0] as Picked).file);
  if (ndjson.length > 0)
    return 'give either one NDJSON file (one {"input": base64, "tag"?} per line) or binary input files, not both';
  return binarySource(files);
}

export function UploadPanel({ api, job, onAdded }: { api: ResearcherApi; job: Job; onAdded: () => void }) {
  const [upload, setUpload] = useState<Upload | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const progress = useSyncExternalStore(
    (listener) => upload?.subscribe(listener) ?? (() => undefined),
    () => upload?.progress ?? IDLE,
  );
  const sizes = ioSizes(job.definition.spec);
  const running = progress.state === 'checking' || progress.state === 'uploading';

  useEffect(() => () => upload?.cancel(), [upload]);

  const go = async (u: Upload) => {
    const end = await u.run();
    if (end.units.sent > 0) onAdded();
  };

  const take = (files: Picked[]) => {
    const source = sourceOf(files);
    if (typeof source === 'string') {
      setProblem(source);
      return;
    }
    setProblem(null);
    const u = new Upload(api, job.id, source, { ...sizes, spec: job.definition.spec });
    setUpload(u);
    void go(u);
  };

  const { units, bytes: b } = progress;
  return (
    <section className="card" aria-labelledby="upload-h">
      <h2 id="upload-h">Add work units</h2>
      <p className="small">
        Each work unit’s input is {count(sizes.input)} bytes (the job’s input bindings, in binding order); its output{' '}
        {count(sizes.output)}. Give an NDJSON file, one{' '}
        <code>{'{"input": base64, "tag"?: …, "expected"?: base64}'}</code> per line, or input files of{' '}
        {count(sizes.input)} bytes each (one work unit per file, tagged with its name). Every line is checked before
        anything is sent.
      </p>
      <DropZone
        label="Drop the inputs here"
        hint="an .ndjson file, or a folder or files of binary inputs"
        onFiles={take}
        disabled={running}
        testId="inputs"
      />
      {problem && (
        <p className="error-text" role="alert">
          {problem}
        </p>
      )}
      {upload && (
        <div className="upload" data-testid="upload" data-state={progress.state}>
          <label htmlFor="upload-progress" className="upload-label">
            {progress.state === 'checking'
              ? 'Checking every work unit before sending…'
              : `${count(units.sent)} of ${units.total === null ? '…' : count(units.total)} work units added · ${bytes(b.sent)} of ${bytes(b.total)} sent`}
          </label>
          <progress
            id="upload-progress"
            data-testid="upload-progress"
            max={b.total || 1}
            value={progress.state === 'checking' ? undefined : b.sent}
          />
          <div aria-live="polite" data-testid="upload-status">
            {progress.state === 'done' && (
              <p className="notice success">
                Added {count(units.sent)} work units
                {progress.resumedFrom !== null ? `, resuming after the first ${count(progress.resumedFrom)}` : ''}
                {progress.replayed > 0
                  ? ` (${progress.replayed} batch${progress.replayed === 1 ? ' had' : 'es had'} already arrived before the cut: the coordinator added ${progress.replayed === 1 ? 'it' : 'them'} once)`
                  : ''}
                .
              </p>
            )}
            {progress.message && progress.state !== 'done' && (
              <p className={progress.state === 'cancelled' ? 'notice' : 'notice error'} role="alert">
                {progress.message}
              </p>
            )}
          </div>
          <div className="actions">
            {running && (
              <button type="button" onClick={() => upload.cancel()}>
                Cancel upload
              </button>
            )}
            {(progress.state === 'interrupted' || progress.state === 'cancelled') && (
              <button type="button" className="primary" onClick={() => void go(upload)}>
                Resume upload
              </button>
            )}
          </div>
        </div>
      )}
    </section>
  );
}
