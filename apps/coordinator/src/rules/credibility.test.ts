import { describe, expect, it } from 'vitest';
import { credibleGroup, groupCredibilities, volunteerCredibility } from './credibility';

const policy = { saboteurs: 0.2, threshold: 0.9999 };

describe('credibility-based voting', () => {
  it('gives a volunteer without spot checks the honest fraction, and more as it passes them', () => {
    expect(volunteerCredibility(0, policy)).toBeCloseTo(0.8, 10);
    expect(volunteerCredibility(10, policy)).toBeCloseTo(1 - 0.25 / (10 * Math.E), 10);
    expect(volunteerCredibility(1000, policy)).toBeGreaterThan(volunteerCredibility(10, policy));
  });

  it('makes one group of agreeing results more credible the more members it has', () => {
    const [one] = groupCredibilities([[0.8]]);
    const [two] = groupCredibilities([[0.8, 0.8]]);
    expect(one).toBeCloseTo(0.8, 10);
    expect(two).toBeCloseTo(0.64 / (0.64 + 0.04), 10);
  });

  it('weighs rival groups against each other', () => {
    const [a, b] = groupCredibilities([[0.8, 0.8], [0.8]]) as [number, number];
    expect(a).toBeGreaterThan(b);
    expect(a + b).toBeLessThanOrEqual(1);
  });

  it('accepts a group only at the threshold, so that new volunteers need many replicas', () => {
    expect(credibleGroup([[0.8, 0.8]], policy)).toBeNull();
    const veteran = volunteerCredibility(5000, policy);
    expect(credibleGroup([[veteran, veteran]], policy)).toBe(0);
    expect(credibleGroup([[0.8], [veteran, veteran]], policy)).toBe(1);
  });
});
