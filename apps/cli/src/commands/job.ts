// `bricolage job create|list|show|pause|resume|cancel`.
import { resolve } from 'node:path';
import { type ClientError, mayHaveBeenDone } from '@bricolage/client';
import { configDir, projectKeyPath, readJob, readProjectKey } from '@bricolage/client/node';
import {
  type CreateJobRequest,
  ioSizes,
  type Job,
  type JobId,
  type JobProgress,
  keyFingerprint,
} from '@bricolage/protocol';
import { explain, type Researcher } from '../connection';
import type { ExitCode } from '../exit';
import type { Output } from '../io';
import { keyMismatch, publishedKey } from '../published-key';

const call = (out: Output) => (out.io.signal ? { signal: out.io.signal } : {});

/** The definition in one line: what runs, on what, with what redundancy. */
function describe(job: Job): string {
  const d = job.definition;
  const sizes = ioSizes(d.spec);
  const kernel =
    d.spec.kind === 'wgsl'
      ? `WGSL ${d.spec.entryPoint}${d.spec.wasm ? ' + wasm twin' : ' (no wasm twin: WebGPU only)'}`
      : 'ONNX model';
  return `${kernel}, ${sizes.input} bytes in, ${sizes.output} out, quorum ${d.redundancy.minQuorum}`;
}

/**
 * All the job's work units. The known-answer ones (lines with `expected`) are not in `counts`: the progress
 * reports them apart, as `knownAnswer`, and their results are there from the moment they are added; one found
 * suspect is a failed unit, in `counts.failed`, as the results list it.
 */
export const total = (p: JobProgress): number =>
  p.knownAnswer + p.counts.unsent + p.counts.in_progress + p.counts.validated + p.counts.failed + p.counts.cancelled;

/** `5 known answers, ` for a job that has any, so that the counts after it add up to `total`. */
export const knownAnswers = (p: JobProgress): string =>
  p.knownAnswer > 0 ? `${p.knownAnswer} known answer${p.knownAnswer === 1 ? '' : 's'}, ` : '';

/**
 * `3 failed`, as many as the results list, saying how many of them are known answers found suspect: those are
 * the researcher's expected outputs to check, not volunteers' failures.
 */
export const failed = (p: JobProgress): string => {
  const suspect = p.suspectAnswers;
  if (suspect === 0) return `${p.counts.failed} failed`;
  return `${p.counts.failed} failed (${suspect} of them ${suspect === 1 ? 'a known answer' : 'known answers'} found suspect)`;
};

export async function jobCreate(
  out: Output,
  client: Researcher,
  path: string,
  flags: { readonly quiet?: boolean | undefined },
): Promise<ExitCode> {
  const job = await readJob(resolve(out.io.cwd, path));
  if (!job.ok) return out.fail(job.error, 'Nothing was sent.');
  const names = new Map(job.value.files.map((f) => [f.hash as string, f.name]));
  /** The server names assets by hash; the researcher knows them by file name. */
  const named = (error: ClientError): ClientError => ({
    ...error,
    message: error.message.replace(/\b[0-9a-f]{64}\b/g, (hash) => names.get(hash) ?? hash),
  });
  for (const file of job.value.files) {
    const stored = await client.putBlob(file.bytes, call(out));
    if (!stored.ok)
      return out.fail(
        named(stored.error),
        `${explain(stored.error, client) ?? `Uploading ${file.name} failed.`} No job was created.`,
      );
    out.note(`uploaded ${file.name} (${file.bytes.length} bytes, sha256 ${file.hash.slice(0, 12)}…)`);
  }
  const created = await createSigned(out, client, job.value.request);
  if (!created.ok) {
    const hint = created.hint ?? `The coordinator refused ${job.value.manifest}.`;
    return out.fail(named(created.error), created.maybe ? hint : `${hint} No job was created.`.trim());
  }
  const made = created.value;
  if (flags.quiet) {
    out.io.stdout.write(`${made.id}\n`);
    return 0;
  }
  return out.done({ job: made, files: job.value.files.map((f) => ({ name: f.name, hash: f.hash })) }, [
    `job ${made.id} created: ${made.definition.name}`,
    `  ${describe(made)}`,
    `next: bricolage wus add ${made.id} FILE|DIR|-   then: bricolage watch ${made.id}`,
  ]);
}

/**
 * Creates a job whose blobs are already stored, signed with the project's key when the researcher made one
 * (`bricolage project key`). A failure comes with a hint for the person: undefined when the coordinator
 * refused the job itself (the caller says which), '' when there is nothing to add.
 */
export async function createSigned(
  out: Output,
  client: Researcher,
  request: CreateJobRequest,
): Promise<
  | { ok: true; value: Job }
  /** `maybe`: the create was sent and its answer never came, so the job may exist. */
  | { ok: false; error: ClientError; hint: string | undefined; maybe?: true }
> {
  const project = await client.myProject(call(out));
  if (!project.ok) return { ok: false, error: project.error, hint: explain(project.error, client) ?? '' };
  const dir = configDir(out.io.env);
  const key = await readProjectKey(dir, project.value.id);
  if (!key.ok) return { ok: false, error: key.error, hint: '' };
  const signed = key.value ? { ...request, signature: await key.value.sign(request) } : request;
  if (key.value) out.note(`signed with the project's key ${keyFingerprint(key.value.publicKey)}`);
  const created = await client.createJob(signed, call(out));
  if (!created.ok) {
    // Refused for its signature: the project signs with a key this machine does not have. Saying where that key
    // is beats sending the researcher to `project key`, which cannot make it.
    if (created.error.code === 'bad_signature') {
      const published = await publishedKey(client, project.value.id, call(out));
      const mismatch =
        published.ok &&
        keyMismatch(
          project.value.id,
          projectKeyPath(dir, project.value.id),
          key.value?.publicKey ?? null,
          published.value,
        );
      if (mismatch) return { ok: false, error: created.error, hint: `${mismatch.error.message}. ${mismatch.hint}` };
    }
    // Taken and not answered, or the connection cut before the answer: the job may well exist. Said, for a second
    // create would make a second job.
    if (mayHaveBeenDone(created.error))
      return {
        ok: false,
        error: created.error,
        maybe: true,
        hint: `${explain(created.error, client)} It may have created the job all the same: see \`bricolage job list\` before creating it again.`,
      };
    return { ok: false, error: created.error, hint: explain(created.error, client) };
  }
  // Said only once the coordinator took an unsigned job: the project has no key yet, so `project key` can make it.
  if (!key.value)
    out.note('not signed: `bricolage project key` makes the project a key, and jobs created after it are signed');
  return created;
}

export async function jobList(out: Output, client: Researcher): Promise<ExitCode> {
  const jobs = await client.listJobs(call(out));
  if (!jobs.ok) return out.fail(jobs.error, explain(jobs.error, client));
  const lines = jobs.value.map(
    (j) => `${j.id}  ${j.state.padEnd(9)}  ${new Date(j.createdAt).toISOString().slice(0, 16)}  ${j.definition.name}`,
  );
  return out.done({ jobs: jobs.value }, lines.length > 0 ? lines : ['no jobs yet: bricolage job create DIR']);
}

export async function jobShow(out: Output, client: Researcher, id: JobId): Promise<ExitCode> {
  const shown = await client.getJob(id, call(out));
  if (!shown.ok) return out.fail(shown.error, explain(shown.error, client));
  const { job, progress } = shown.value;
  const c = progress.counts;
  return out.done({ job, progress }, [
    `${job.id}  ${job.definition.name}  (${job.state})`,
    `  ${describe(job)}`,
    `  ${total(progress)} work units: ${knownAnswers(progress)}${c.validated} validated, ${failed(progress)}, ${c.in_progress} in progress, ${c.unsent} waiting, ${c.cancelled} cancelled`,
    `  ${progress.diagnosis.stalled ? 'stalled: ' : ''}${progress.diagnosis.why}`,
  ]);
}

export async function jobAction(
  out: Output,
  client: Researcher,
  action: 'pause' | 'resume' | 'cancel',
  id: JobId,
): Promise<ExitCode> {
  const run = { pause: client.pauseJob, resume: client.resumeJob, cancel: client.cancelJob }[action];
  const done = await run(id, call(out));
  if (!done.ok) return out.fail(done.error, explain(done.error, client));
  return out.done({ job: done.value }, [`${done.value.id} is ${done.value.state}`]);
}
