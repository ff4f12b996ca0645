// The sentence the page and the README show for a job's checking, for each kind of setting.
import { describe, expect, it } from 'vitest';
import { type CheckingPolicy, checkingOf } from './checking';
import { describeChecking } from './describe-checking';

const policy = (over: Partial<CheckingPolicy> = {}): CheckingPolicy => ({
  minQuorum: 2,
  adaptive: { enabled: false, trustAfter: 10, spotCheckRate: 0.1 },
  knownAnswerRate: 0,
  ...over,
});

describe('describeChecking', () => {
  it('says a fixed quorum in words', () => {
    expect(describeChecking(policy())).toBe('Every result is checked by two volunteers, who must agree.');
    expect(describeChecking(policy({ minQuorum: 3 }))).toBe(
      'Every result is checked by three volunteers, who must agree.',
    );
  });

  it('says when one trusted volunteer may be enough, with its threshold and re-check rate', () => {
    expect(describeChecking(policy({ adaptive: { enabled: true, trustAfter: 25, spotCheckRate: 0.05 } }))).toBe(
      'Every result is checked by two volunteers, who must agree, or by one trusted volunteer ' +
        '(25 confirmed results, known answers among them) with at least 5 % re-checked at random; trust fades ' +
        "when unused, and a wrong answer ends it and has that volunteer's results checked again.",
    );
  });

  it('says when a single result is accepted, whatever the adaptive setting', () => {
    const lone = 'Each result is accepted from a single volunteer, without a second opinion.';
    expect(describeChecking(policy({ minQuorum: 1 }))).toBe(lone);
    expect(
      describeChecking(policy({ minQuorum: 1, adaptive: { enabled: true, trustAfter: 3, spotCheckRate: 1 } })),
    ).toBe(lone);
  });

  it('adds the known-answer share only when there is one', () => {
    expect(describeChecking(policy({ knownAnswerRate: 0.1 }))).toBe(
      'Every result is checked by two volunteers, who must agree. About 10 % of the work handed out has a known ' +
        'answer, to check the volunteers themselves.',
    );
  });
});

describe('checkingOf', () => {
  const definition = {
    redundancy: { minQuorum: 3 },
    adaptive: { enabled: true, trustAfter: 7, spotCheckRate: 0.2 },
    knownAnswerRate: 0.05,
  };

  it('takes the job’s own settings', () => {
    expect(checkingOf(definition, 4)).toEqual({
      minQuorum: 3,
      adaptive: { enabled: true, trustAfter: 7, spotCheckRate: 0.2 },
      knownAnswerRate: 0.05,
    });
  });

  it('claims no known answers for a job that has no known-answer units, whatever its rate', () => {
    expect(checkingOf(definition, 0).knownAnswerRate).toBe(0);
  });
});
