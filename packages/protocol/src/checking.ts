// How a job's results are checked, as anyone may see it, and the one sentence that says so. The volunteer page,
// the README's demo paragraph and the coordinator's public status all take it from the job's own settings, so
// that what the grid claims about checking is what it does.
import { z } from 'zod';

export const CheckingPolicy = z
  .object({
    /** Agreeing results needed for a result to be accepted. */
    minQuorum: z.number().int().min(1),
    /** Adaptive replication: a trusted volunteer's result may be accepted alone. */
    adaptive: z.object({
      enabled: z.boolean(),
      trustAfter: z.number().int().min(1),
      spotCheckRate: z.number().min(0).max(1),
    }),
    /** Fraction of leases that are known-answer units; 0 when the job has none. */
    knownAnswerRate: z.number().min(0).max(1),
  })
  .meta({ id: 'CheckingPolicy' });
export type CheckingPolicy = z.infer<typeof CheckingPolicy>;

/** The checking a job does: its settings, with known answers only when it has known-answer units. */
export function checkingOf(
  definition: {
    readonly redundancy: { readonly minQuorum: number };
    readonly adaptive: CheckingPolicy['adaptive'];
    readonly knownAnswerRate: number;
  },
  knownAnswerUnits: number,
): CheckingPolicy {
  return {
    minQuorum: definition.redundancy.minQuorum,
    adaptive: { ...definition.adaptive },
    knownAnswerRate: knownAnswerUnits > 0 ? definition.knownAnswerRate : 0,
  };
}
