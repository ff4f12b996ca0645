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

const NUMBERS = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
const count = (n: number) => NUMBERS[n] ?? String(n);
const percent = (x: number) => `${Math.round(x * 1000) / 10} %`;

/**
 * One or two sentences for a volunteer or a researcher, e.g. "Every result is checked by two volunteers, who
 * must agree, or by one trusted volunteer (10 agreeing results in a row) with at least 10 % re-checked at random."
 */
export function describeChecking(c: CheckingPolicy): string {
  const trust = c.adaptive.enabled && c.minQuorum > 1;
  const first =
    c.minQuorum === 1
      ? 'Each result is accepted from a single volunteer, without a second opinion.'
      : trust
        ? `Every result is checked by ${count(c.minQuorum)} volunteers, who must agree, or by one trusted volunteer ` +
          `(${c.adaptive.trustAfter} agreeing results in a row) with at least ${percent(c.adaptive.spotCheckRate)} ` +
          're-checked at random.'
        : `Every result is checked by ${count(c.minQuorum)} volunteers, who must agree.`;
  if (c.knownAnswerRate <= 0) return first;
  return `${first} About ${percent(c.knownAnswerRate)} of the work handed out has a known answer, to check the volunteers themselves.`;
}
