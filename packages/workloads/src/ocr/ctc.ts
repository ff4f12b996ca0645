// CTC greedy decoding of the recogniser's class indices, on the researcher's side. Browser-safe.

/**
 * PaddleOCR's label layout for ppocr_keys_v1.txt with spaces on: class 0 is CTC's blank, 1…n the alphabet's
 * lines in order, n + 1 a space.
 */
export function ctcDecode(classes: ArrayLike<number>, alphabet: readonly string[]): string {
  let text = '';
  let previous = -1;
  for (let t = 0; t < classes.length; t++) {
    const c = classes[t] as number;
    if (c !== previous && c !== 0) text += c === alphabet.length + 1 ? ' ' : (alphabet[c - 1] ?? '');
    previous = c;
  }
  // The alphabet is Chinese and English: the model sometimes picks a full-width form of a Latin character or
  // mark (，for ,). NFKC folds those into ASCII; runs of spaces become one, as printed text has them.
  return text.normalize('NFKC').replace(/ {2,}/g, ' ').trim();
}

/** The alphabet file's lines (ppocr_keys_v1.txt: one character a line). */
export const parseAlphabet = (text: string): string[] => text.replace(/\r?\n$/, '').split(/\r?\n/);
