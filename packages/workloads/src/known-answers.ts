// Which units of a job are known-answer units. Sarmenta's spot checks only work if a volunteer cannot tell a
// check from ordinary work: so a known-answer unit is not a copy of another unit (a copy would be found by
// its input, and a key that saw both would know) but one of the job's own units, whose answer the
// researcher's machine computed beforehand; the coordinator returns that answer as the unit's result. The
// units are drawn at random, here, where volunteers cannot see: a fixed pattern (every k-th) would name them.

/** Options every workload with known-answer units takes. */
export interface KnownAnswerOptions {
  /**
   * About one unit in this many becomes a known-answer unit (its reference output computed here, on the
   * researcher's machine): a positive integer; none without it.
   */
  readonly knownAnswerEvery?: number;
  /** Uniform in [0, 1): the draw. Default: the platform's cryptographic generator. Tests pass a seeded one. */
  readonly random?: () => number;
}

export function checkKnownAnswers({ knownAnswerEvery }: KnownAnswerOptions): void {
  if (knownAnswerEvery !== undefined && (!Number.isInteger(knownAnswerEvery) || knownAnswerEvery < 1))
    throw new RangeError(`knownAnswerEvery must be a positive integer, got ${knownAnswerEvery}`);
}

/** A draw of the job's known-answer units: call it once per unit, in order. */
export function knownAnswerDraw({ knownAnswerEvery, random = cryptoRandom }: KnownAnswerOptions): () => boolean {
  return () => knownAnswerEvery !== undefined && random() * knownAnswerEvery < 1;
}

function cryptoRandom(): number {
  return (globalThis.crypto.getRandomValues(new Uint32Array(1))[0] as number) / 2 ** 32;
}
