// Which jobs a volunteer's device can run, and with which backend: decided before leasing, not after.
// The rule itself is protocol's chooseBackend, which the volunteer applies too; this adds the order in
// which a device is offered the jobs it can run.
import {
  type BackendChoice,
  type BackendClass,
  type Capabilities,
  chooseBackend,
  type JobSpec,
} from '@bricolage/protocol';

export type Eligibility = BackendChoice;

export function eligibility(spec: JobSpec, caps: Capabilities): Eligibility {
  return chooseBackend(spec, caps);
}

/**
 * The order in which a device is offered the jobs it can run: first those on its calibrated path, then
 * those it can run only off it (a WGSL-only job on a software adapter that prefers wasm), each group in
 * the given order. So a slow device takes such a job only when no work it runs well is waiting for it,
 * and never sits idle while that job waits: slow beats never.
 */
export function leaseOrder<J>(jobs: Iterable<J>, fit: (job: J) => Eligibility): { job: J; backend: BackendClass }[] {
  const preferred: { job: J; backend: BackendClass }[] = [];
  const fallback: { job: J; backend: BackendClass }[] = [];
  for (const job of jobs) {
    const f = fit(job);
    if (f.ok) (f.preferred ? preferred : fallback).push({ job, backend: f.backend });
  }
  return [...preferred, ...fallback];
}
