// Stacking: several short units of a job that allows it (an ONNX job's `stackable`) computed in one run of the
// model, so that what a run costs beyond its arithmetic (onnxruntime's call, its tensors, the worker's turn) is
// paid once for the lot rather than once a unit. How many go together is read from the job's measured time per
// unit, so that one run stays short next to any time budget, and a job not yet measured is not stacked.
import type { JobSpec } from '@bricolage/protocol';
import { sha256Hex } from '@bricolage/protocol';
import { selfCheck } from '../abi';
import type { Executor } from '../executors/executor';
import type { ComputeOutcome } from './api';

/** Compute time one stacked run should hold: far below the least time budget a job may set (100 ms). */
const STACK_MS = 10;
/** Most units in one run. */
export const MAX_STACK = 64;
/**
 * Fewest units worth stacking: what a stack saves is a run's overhead per unit, small beside a unit of
 * milliseconds. cnn (0.3 ms a unit) ran 1.6–1.8× as fast 30 at a time; physics (3–6 ms) two at a time measured
 * 0.90× in two runs, within the spread that the same code measured against itself (0.74× in a run where physics,
 * below this floor, was not stacked at all): no gain shown, so units that long run alone (`npm run bench:stacking`,
 * 2026-12-02).
 */
const MIN_STACK = 4;

/** Per job, the moving average of compute time per unit, from which the stack size is read. */
export class StackSizes {
  readonly #unitMs = new Map<string, number>();
  /** Jobs whose stacked run failed here: computed one unit a run from then on. */
  readonly #refused = new Set<string>();

  /** Units of the job to compute together, of `waiting` given in one call: 1 until the job's time is known. */
  size(job: string, waiting: number): number {
    const unitMs = this.#unitMs.get(job);
    if (unitMs === undefined || this.#refused.has(job)) return 1;
    const fill = Math.floor(STACK_MS / Math.max(unitMs, 0.01));
    return fill < MIN_STACK ? 1 : Math.max(1, Math.min(waiting, MAX_STACK, fill));
  }

  record(job: string, unitMs: number): void {
    const previous = this.#unitMs.get(job);
    this.#unitMs.set(job, previous === undefined ? unitMs : previous * 0.7 + unitMs * 0.3);
  }

  refuse(job: string): void {
    this.#refused.add(job);
  }

  forget(job: string): void {
    this.#unitMs.delete(job);
    this.#refused.delete(job);
  }
}

/**
 * The units' outcomes from one stacked run, each checked and hashed as a unit run alone is; the run's time
 * (checks and hashes included, as a unit's own span includes them) is shared out evenly, one unit after the
 * other, so that a unit's span is its part of the run. Null when the run itself failed: the caller then runs
 * the units one at a time, each to its own outcome (an error that belongs to one unit is told for that one
 * alone, and a model that will not stack still computes).
 */
export async function runStacked(
  executor: Executor,
  job: string,
  spec: JobSpec,
  inputs: readonly Uint8Array[],
  now: () => number,
): Promise<ComputeOutcome[] | null> {
  const startedAt = now();
  let outputs: Uint8Array[];
  try {
    outputs = await executor.runStacked!(job, inputs);
  } catch {
    return null;
  }
  if (outputs.length !== inputs.length) return null;
  const backend = executor.backend;
  const checked = await Promise.all(
    outputs.map(async (output): Promise<{ output: Uint8Array; outputHash: string } | { reason: string }> => {
      const check = selfCheck(spec, output);
      return check.ok ? { output, outputHash: await sha256Hex(output) } : { reason: check.reason };
    }),
  );
  const share = (now() - startedAt) / inputs.length;
  return checked.map((c, i): ComputeOutcome => {
    const at = { startedAt: startedAt + i * share, endedAt: startedAt + (i + 1) * share };
    return 'reason' in c
      ? { ok: false, code: 'self_check_failed', message: c.reason, backend, ...at }
      : { ok: true, output: c.output, outputHash: c.outputHash, backend, elapsedMs: share, ...at };
  });
}
