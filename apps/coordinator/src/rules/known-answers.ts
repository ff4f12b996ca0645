// Whether a known answer is still to be believed. A researcher's expected output may be wrong (a mistake, or
// meant to silence whoever computes it): then every honest key disagrees with it, and all of them the same way.
// A known answer is suspect once vouched keys of more networks than have passed it, and of more than a quorum's
// worth, returned one and the same other output: it judges no key after that, and what it did to every key that
// returned that output is taken back (rules/reputation.ts `afterReprieve`). Counting networks, not keys, makes a
// Sybil's many keys one voice; counting those that passed makes a cabal outvote every honest network that met the
// answer; counting only keys with SUSPECT_VOUCH results confirmed by others keeps a cabal of new keys that reaches
// a fresh known answer first (none has passed it yet) from setting it aside: it must first do honest work.

/** A result judged against a known answer: whether it passed, its output's hash, and its key's network. */
export interface ProbeVote {
  readonly passed: boolean;
  readonly outputHash: string | null;
  /** rules/assignment.ts `networkOf` its key's bucket (a key seen nowhere is a network of its own). */
  readonly network: string;
  /** Its key's validated results, ever (a failure does not take them back). */
  readonly validated: number;
}

/** Networks that must agree on one other output, at the least: more than the default quorum of 2. */
export const SUSPECT_AFTER = 3;

/**
 * Validated results a key needs for its say on a known answer (the demo's trust threshold). An honest key caught
 * by a wrong answer before it had them has its vote back all the same once vouched keys agree with it.
 */
export const SUSPECT_VOUCH = 10;

/** Networks needed to find a job's known answer suspect: at least SUSPECT_AFTER, and more than its quorum. */
export const suspectAfter = (minQuorum: number): number => Math.max(SUSPECT_AFTER, minQuorum + 1);

/**
 * The output that vouched keys of at least `suspectAfter(minQuorum)` networks returned in place of the known
 * answer, and of more networks than vouched keys that passed it; null while there is none (the answer stands).
 */
export function suspectFor(all: readonly ProbeVote[], minQuorum: number): string | null {
  const votes = all.filter((v) => v.validated >= SUSPECT_VOUCH);
  const passed = new Set(votes.filter((v) => v.passed).map((v) => v.network)).size;
  const against = new Map<string, Set<string>>();
  for (const v of votes) {
    if (v.passed || v.outputHash === null) continue;
    const networks = against.get(v.outputHash) ?? new Set<string>();
    networks.add(v.network);
    against.set(v.outputHash, networks);
  }
  for (const [hash, networks] of against)
    if (networks.size >= suspectAfter(minQuorum) && networks.size > passed) return hash;
  return null;
}
