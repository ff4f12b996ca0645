// What a job's checking settings mean, in words for the people whose tabs run it: derived from the
// settings themselves, so that a project's description can never claim more checking than the job does.
import type { JobDefinition } from '@bricolage/protocol';

type Checked = Pick<JobDefinition, 'redundancy' | 'adaptive' | 'comparator' | 'knownAnswerRate'>;

const times = (n: number) => (n === 1 ? 'once' : n === 2 ? 'twice' : `${n} times`);
const oneIn = (rate: number) => `1 in ${Math.round(1 / rate)}`;

/**
 * One paragraph: how many volunteers compute each unit and how their results must agree, when a trusted
 * volunteer's units go unreplicated, and whether known answers check a volunteer alone. `unit` names a work
 * unit ("tile"); `knownAnswers` says whether the job has known-answer units at all.
 */
export function describeChecking(job: Checked, unit: string, knownAnswers: boolean): string {
  const { minQuorum } = job.redundancy;
  const agree =
    job.comparator.kind === 'exact'
      ? 'must be identical'
      : `must agree to within ${job.comparator.rtol.toExponential()} relative or ${job.comparator.atol.toExponential()} absolute`;
  const parts: string[] = [];
  if (minQuorum <= 1) parts.push(`Each ${unit} is accepted on one volunteer's result.`);
  else {
    parts.push(
      `Each ${unit} is computed ${times(minQuorum)}, by different volunteers, whose results ${agree} before it is accepted and credited.`,
    );
    if (job.adaptive.enabled)
      parts.push(
        `A volunteer whose last ${job.adaptive.trustAfter} results were all confirmed is trusted with ${unit}s of its own, and at least ${oneIn(job.adaptive.spotCheckRate)} of those is still computed again by someone else.`,
      );
  }
  if (knownAnswers && job.knownAnswerRate > 0)
    parts.push(
      `About ${oneIn(job.knownAnswerRate)} ${unit}s handed out has a known answer, which checks (and credits) a volunteer even when no one else is there.`,
    );
  else if (minQuorum > 1)
    parts.push(`No ${unit}'s answer is known beforehand: nothing is credited until a second volunteer agrees.`);
  return parts.join(' ');
}
