// CTC greedy decoding of the recogniser's class indices, on the researcher's side. Browser-safe.

/** One character the decoder emitted, and the CTC step (REC_WIDTH / REC_STEPS pixels each) where it began. */
export interface CtcSymbol {
  readonly text: string;
  readonly step: number;
}

/**
 * PaddleOCR's label layout for ppocr_keys_v1.txt with spaces on: class 0 is CTC's blank, 1…n the alphabet's
 * lines in order, n + 1 a space. Repeats collapse, blanks drop; each symbol keeps its step, so that pieces of one
 * long line can be joined where they were cut (pieces.ts).
 */
export function ctcSymbols(classes: ArrayLike<number>, alphabet: readonly string[]): CtcSymbol[] {
  const symbols: CtcSymbol[] = [];
  let previous = -1;
  for (let t = 0; t < classes.length; t++) {
    const c = classes[t] as number;
    if (c !== previous && c !== 0)
      symbols.push({ text: c === alphabet.length + 1 ? ' ' : (alphabet[c - 1] ?? ''), step: t });
    previous = c;
  }
  return symbols;
}

/**
 * The alphabet is Chinese and English: the model sometimes picks a full-width form of a Latin character or
 * mark (，for ,). NFKC folds those into ASCII; runs of spaces become one, as printed text has them.
 */
export const normaliseText = (text: string): string => text.normalize('NFKC').replace(/ {2,}/g, ' ').trim();

/** CTC greedy decoding of one line's class indices to its text. */
export const ctcDecode = (classes: ArrayLike<number>, alphabet: readonly string[]): string =>
  normaliseText(
    ctcSymbols(classes, alphabet)
      .map((s) => s.text)
      .join(''),
  );

/** The alphabet file's lines (ppocr_keys_v1.txt: one character a line). */
export const parseAlphabet = (text: string): string[] => text.replace(/\r?\n$/, '').split(/\r?\n/);
