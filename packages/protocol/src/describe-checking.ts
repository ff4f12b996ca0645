// A job's checking in words, for the volunteer page and the README: apart from the schema (checking.ts), so
// that the page loads no zod schema to say it.
import type { CheckingPolicy } from './checking';

const NUMBERS = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
const count = (n: number) => NUMBERS[n] ?? String(n);
const percent = (x: number) => `${Math.round(x * 1000) / 10} %`;

/**
 * One or two sentences for a volunteer or a researcher, e.g. "Every result is checked by two volunteers, who
 * must agree, or by one trusted volunteer (40 confirmed results, known answers among them) with at least 10 %
 * re-checked at random; trust fades when unused, and a wrong answer ends it and has that volunteer's results
 * checked again." What trust takes beyond the job's threshold (the known answers, the fading, the re-checks) is
 * the coordinator's rule for every job (its rules/reputation.ts), so the words say it without its figures.
 */
export function describeChecking(c: CheckingPolicy): string {
  const trust = c.adaptive.enabled && c.minQuorum > 1;
  const first =
    c.minQuorum === 1
      ? 'Each result is accepted from a single volunteer, without a second opinion.'
      : trust
        ? `Every result is checked by ${count(c.minQuorum)} volunteers, who must agree, or by one trusted volunteer ` +
          `(${c.adaptive.trustAfter} confirmed results, known answers among them) with at least ` +
          `${percent(c.adaptive.spotCheckRate)} re-checked at random; trust fades when unused, and a wrong answer ` +
          "ends it and has that volunteer's results checked again."
        : `Every result is checked by ${count(c.minQuorum)} volunteers, who must agree.`;
  if (c.knownAnswerRate <= 0) return first;
  return `${first} About ${percent(c.knownAnswerRate)} of the work handed out has a known answer, to check the volunteers themselves.`;
}
