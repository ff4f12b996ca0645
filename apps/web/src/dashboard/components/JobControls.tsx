// A job's controls on its page: Pause or Resume, and Cancel job… with its confirmation. Keyboard focus is kept
// through each change, so a keyboard or screen-reader user is never dropped back to the top of the page.
import type { Job, JobProgress } from '@bricolage/protocol';
import { useEffect, useRef, useState } from 'react';
import { whileBusy } from '../../components/busy';
import type { JobAction, ResearcherApi } from '../api';

export function JobControls({
  api,
  job,
  state,
  onProgress,
}: {
  api: ResearcherApi;
  job: Job;
  state: Job['state'];
  onProgress: (p: JobProgress) => void;
}) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  // Where keyboard focus goes once the control it was on is replaced (the confirmation opening or closing, the
  // job cancelled): set with the change, applied once the target is on the page, so focus never falls to <body>.
  const [focusNext, setFocusNext] = useState<'ask' | 'keep' | 'cancelled' | null>(null);
  const ask = useRef<HTMLButtonElement>(null);
  const keep = useRef<HTMLButtonElement>(null);
  const cancelled = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (!focusNext) return;
    const target = { ask, keep, cancelled }[focusNext].current;
    if (!target) return;
    target.focus();
    setFocusNext(null);
  });
  const act = async (action: JobAction) => {
    setBusy(true);
    setProblem(null);
    // Pause and Resume close an open confirmation; the cancel keeps it (and the focus in it) until it is done.
    if (action !== 'cancel') setConfirming(false);
    const r = await api.control(job.id, action);
    if (!r.ok) setProblem(r.error.message);
    else {
      const fresh = await api.job(job.id);
      if (fresh.ok) onProgress(fresh.value.progress);
    }
    setBusy(false);
    if (action === 'cancel') {
      setConfirming(false);
      setFocusNext(r.ok ? 'cancelled' : 'ask');
    }
  };
  const close = () => {
    setConfirming(false);
    setFocusNext('ask');
  };
  if (state === 'cancelled')
    return (
      <p className="muted" tabIndex={-1} ref={cancelled}>
        Cancelled: its accepted results are kept and can be downloaded.
      </p>
    );
  const toggle = state === 'active' ? 'pause' : state === 'paused' ? 'resume' : null;
  // While a request is under way the buttons are unavailable without losing the focus (busy.ts). One button for
  // Pause and Resume, so the focus stays on it when it turns over.
  return (
    <>
      <div className="actions">
        {toggle && (
          <button type="button" {...whileBusy(busy, () => void act(toggle))}>
            {toggle === 'pause' ? 'Pause' : 'Resume'}
          </button>
        )}
        {!confirming ? (
          <button
            type="button"
            className="danger"
            ref={ask}
            {...whileBusy(busy, () => {
              setConfirming(true);
              setFocusNext('keep');
            })}
          >
            Cancel job…
          </button>
        ) : (
          <fieldset className="confirm">
            <legend>Cancel for good? Unfinished work units stop; accepted results are kept.</legend>
            <button type="button" className="danger" {...whileBusy(busy, () => void act('cancel'))}>
              Yes, cancel the job
            </button>
            <button type="button" ref={keep} {...whileBusy(busy, close)}>
              Keep it
            </button>
          </fieldset>
        )}
      </div>
      {problem && (
        <p className="error-text" role="alert">
          {problem}
        </p>
      )}
    </>
  );
}
