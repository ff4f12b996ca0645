// Ground-truth text for rendered pages: seeded lines of common English words, digits and punctuation.
// Browser-safe; the same seed gives the same lines everywhere.
import { mulberry32 } from '../onnx/prng';

const WORDS = (
  'the of and to in is was that for it with as his on be at by had are but from or have an they which one you ' +
  'were her all she there would their we him been has when who will more no if out so said what up its about ' +
  'into than them can only other new some could time these two may then do first any my now such like our over ' +
  'man me even most made after also did many before must through back years where much your way well down should ' +
  'because each just those people how too little state good very make world still own see men work long get here ' +
  'between both life being under never day same another know while last might us great old year off come since ' +
  'against go came right used take three states himself few house use during without again place American around ' +
  'however home small found Mrs thought went say part once general high upon school every British point Monday ' +
  'river garden letter window morning harbour station paper answer question number village winter summer London ' +
  'October Thursday measure record survey weather signal engine museum volunteer library chapter journal'
).split(' ');
const PUNCTUATION = ['.', ',', ';', ':', '?', '!'];

/** `count` lines, each of whole words, at most `maxChars` characters, the way a printed page breaks them. */
export function textLines(seed: number, count: number, maxChars = 34): string[] {
  const next = mulberry32(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const lines: string[] = [];
  while (lines.length < count) {
    const target = maxChars - Math.floor(next() * 12);
    let line = '';
    for (;;) {
      let word = next() < 0.08 ? String(Math.floor(next() * 2000)) : pick(WORDS);
      if (line === '' || next() < 0.1) word = word[0]?.toUpperCase() + word.slice(1);
      if (next() < 0.12) word += pick(PUNCTUATION);
      const candidate = line === '' ? word : `${line} ${word}`;
      if (candidate.length > target) break;
      line = candidate;
    }
    if (line !== '') lines.push(line);
  }
  return lines;
}
