// Upload: a researcher's batch of work units becomes visible all at once or not at all. Lines are staged
// in chunks while the body streams in (invisible: state `staged`, inputs aside), then one transaction checks
// that every staged row is still there and publishes them; under an Idempotency-Key, a batch committed
// before is answered with its first summary and adds nothing.
import { type JobId, ok, type Result } from '@bricolage/protocol';
import { type CommittedUpload, type StagedWorkUnit, type UploadKey, uploadKeyReused } from '../store/store';
import type { StepContext } from './context';

export async function stageWorkUnits(
  ctx: StepContext,
  job: JobId,
  batch: string,
  units: readonly StagedWorkUnit[],
): Promise<void> {
  const facts = await ctx.catalog.require(ctx.tx, job);
  await ctx.tx.stageWorkUnits(job, batch, facts.definition.redundancy.minQuorum, units, ctx.now);
}

export async function commitBatch(
  ctx: StepContext,
  job: JobId,
  batch: string,
  staged: number,
  key?: UploadKey & { readonly at: number },
): Promise<Result<CommittedUpload>> {
  const { tx } = ctx;
  const facts = await ctx.catalog.require(tx, job);
  // The job's row is locked first, so that of two uploads racing under one key exactly one commits.
  const state = await tx.lockJob(job);
  if (!state) throw new Error(`unknown job ${job}`);
  const earlier = key ? await tx.uploadKey(job, key.key) : null;
  if (key && earlier) {
    await tx.dropBatch(batch);
    if (earlier.bodyHash !== key.bodyHash) return { ok: false, error: uploadKeyReused(key.key) };
    return ok({ summary: earlier.summary, replayed: true });
  }
  const present = await tx.stagedCount(batch);
  if (present !== staged)
    return {
      ok: false,
      error: {
        code: 'conflict',
        message: `only ${present} of the ${staged} work units staged by this upload are still there; nothing was added, send it again`,
      },
    };
  const cancelled = state === 'cancelled';
  const summary = await tx.publishBatch(
    batch,
    cancelled ? 'cancelled' : 'unsent',
    cancelled ? 0 : facts.definition.redundancy.minQuorum,
    ctx.now,
  );
  // New work reopens a completed job: it is active again until these units finish too.
  if (state === 'completed' && summary.added > 0) await tx.setJobState(job, 'active');
  if (key) await tx.insertUploadKey(job, key, summary, key.at);
  ctx.changes.touched.add(job);
  return ok({ summary, replayed: false });
}
