import { describe, expect, it } from 'vitest';
import { describeChecking } from './checking';

const base = {
  redundancy: { minQuorum: 2, maxTotalResults: 6, maxErrorResults: 3, homogeneous: false },
  adaptive: { enabled: true, trustAfter: 10, spotCheckRate: 0.1 },
  comparator: { kind: 'float' as const, rtol: 1e-6, atol: 1e-5 },
  knownAnswerRate: 0.1,
};

describe('describeChecking', () => {
  it('says what a quorum of two with adaptive replication and no known answers does', () => {
    expect(describeChecking(base, 'tile', false)).toBe(
      'Each tile is computed twice, by different volunteers, whose results must agree to within 1e-6 relative or 1e-5 absolute before it is accepted and credited. ' +
        'A volunteer whose last 10 results were all confirmed is trusted with tiles of its own, and at least 1 in 10 of those is still computed again by someone else. ' +
        "No tile's answer is known beforehand: nothing is credited until a second volunteer agrees.",
    );
  });

  it('follows the settings: exact results, no adaptive replication, known answers', () => {
    const text = describeChecking(
      { ...base, comparator: { kind: 'exact' }, adaptive: { ...base.adaptive, enabled: false }, knownAnswerRate: 0.04 },
      'segment',
      true,
    );
    expect(text).toBe(
      'Each segment is computed twice, by different volunteers, whose results must be identical before it is accepted and credited. ' +
        'About 1 in 25 segments handed out has a known answer, which checks (and credits) a volunteer even when no one else is there.',
    );
    expect(describeChecking({ ...base, redundancy: { ...base.redundancy, minQuorum: 1 } }, 'tile', false)).toBe(
      "Each tile is accepted on one volunteer's result.",
    );
    expect(describeChecking({ ...base, redundancy: { ...base.redundancy, minQuorum: 3 } }, 'tile', false)).toMatch(
      /^Each tile is computed 3 times/,
    );
  });
});
