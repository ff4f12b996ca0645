// Credibility-based voting (Sarmenta, "Sabotage-tolerance mechanisms for volunteer computing systems", 2002):
// each volunteer's credibility is the probability that its result is right, from the known-answer spot checks
// it passed and an assumed fraction of saboteurs; a group of agreeing results is accepted once the probability
// that it is right reaches a threshold, and more replicas are issued until one does. The simulation compares it
// with quorums and adaptive replication; the coordinator does not run it.

export interface CredibilityPolicy {
  /** The fraction of saboteurs assumed: credibility is a worst case under it. */
  readonly saboteurs: number;
  /** A group is accepted when its credibility reaches this: 1 − the error rate aimed at. */
  readonly threshold: number;
}

/**
 * The credibility of a volunteer that passed `spotChecks` known-answer units and was never caught (a caught one
 * is blacklisted): 1 − f without any, else 1 − f / ((1 − f) · k · e), Sarmenta's bound for a saboteur that
 * chooses its error rate to survive k spot checks.
 */
export function volunteerCredibility(spotChecks: number, policy: CredibilityPolicy): number {
  const f = policy.saboteurs;
  if (spotChecks <= 0) return 1 - f;
  return Math.max(1 - f, 1 - f / ((1 - f) * spotChecks * Math.E));
}

/**
 * The credibility of each group of agreeing results of one work unit, the groups given as the credibilities of
 * their members: the probability that this group is the right one and every other group wrong, over all ways
 * the groups could be right or wrong (at most one is right). Sarmenta's formula, saboteurs assumed to agree.
 */
export function groupCredibilities(groups: readonly (readonly number[])[]): number[] {
  const right = groups.map((g) => g.reduce((p, c) => p * c, 1));
  const wrong = groups.map((g) => g.reduce((p, c) => p * (1 - c), 1));
  const allWrong = wrong.reduce((p, w) => p * w, 1);
  const only = groups.map((_, i) => wrong.reduce((p, w, j) => (j === i ? p * (right[i] as number) : p * w), 1));
  const total = only.reduce((s, x) => s + x, 0) + allWrong;
  return only.map((x) => (total > 0 ? x / total : 0));
}

/** The index of the group accepted now, or null when none is credible enough and another replica is needed. */
export function credibleGroup(groups: readonly (readonly number[])[], policy: CredibilityPolicy): number | null {
  const credibility = groupCredibilities(groups);
  let best: number | null = null;
  for (const [i, c] of credibility.entries())
    if (c >= policy.threshold && (best === null || c > (credibility[best] as number))) best = i;
  return best;
}
