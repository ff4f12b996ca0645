// Character error rate against ground truth: edit distance over reference length. Browser-safe.

/** Levenshtein distance between two strings, by code point. */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let row = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const next = [i];
    for (let j = 1; j <= y.length; j++)
      next[j] = Math.min(
        (row[j] as number) + 1,
        (next[j - 1] as number) + 1,
        (row[j - 1] as number) + (x[i - 1] === y[j - 1] ? 0 : 1),
      );
    row = next;
  }
  return row[y.length] as number;
}

export interface CerTally {
  /** Edits needed to turn what was read into the truth. */
  readonly errors: number;
  /** Characters of the truth. */
  readonly characters: number;
  readonly lines: number;
}

/**
 * Lines read against lines true, both in reading order, page by page: the page's lines joined by newlines and
 * compared as one string, so a line missed, split or merged costs what it costs and nothing is matched by hand.
 */
export function cerOfPage(read: readonly string[], truth: readonly string[]): CerTally {
  const reference = truth.join('\n');
  return { errors: editDistance(read.join('\n'), reference), characters: [...reference].length, lines: truth.length };
}

export const sumCer = (tallies: readonly CerTally[]): CerTally =>
  tallies.reduce(
    (s, t) => ({ errors: s.errors + t.errors, characters: s.characters + t.characters, lines: s.lines + t.lines }),
    {
      errors: 0,
      characters: 0,
      lines: 0,
    },
  );
