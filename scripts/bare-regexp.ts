// Finds RegExp literals put bare inside `toMatchObject(…)` or `expect.objectContaining(…)` in test sources. There a
// RegExp matches any value at all (vitest 4.1: `{ a: /zzz/ }` matched `{ a: 'hello' }` and `{ a: 42 }`), so such a check
// cannot fail; `expect.stringMatching(/…/)` is what tests the text. A small scanner, not a parser: it skips strings,
// template literals and comments, and takes a `/` for a RegExp where an expression begins.

export interface BareRegExp {
  readonly line: number;
  readonly text: string;
}

const OPENS = /\b(toMatchObject|objectContaining)\($/;

export function bareRegExps(source: string): BareRegExp[] {
  const found: BareRegExp[] = [];
  // Each open bracket, and the call it opens when one does ('' otherwise): a RegExp counts when a matcher call
  // encloses it and no stringMatching(…) call closer in does.
  const calls: string[] = [];
  let previous = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (c === '"' || c === "'") {
      i = skipQuoted(source, i, c);
      previous = c;
    } else if (c === '`') {
      i = skipTemplate(source, i);
      previous = c;
    } else if (source.startsWith('//', i)) {
      i = source.indexOf('\n', i) === -1 ? source.length : source.indexOf('\n', i);
    } else if (source.startsWith('/*', i)) {
      i = source.indexOf('*/', i + 2) + 1;
    } else if (c === '/' && (previous === '' || '(,:[=!&|?{};'.includes(previous))) {
      const end = regExpEnd(source, i);
      const innermost = calls.findLast((name) => name !== '');
      if (innermost !== undefined && innermost !== 'stringMatching' && calls.some((n) => OPENS.test(`${n}(`)))
        found.push({ line: source.slice(0, i).split('\n').length, text: source.slice(i, end) });
      i = end - 1;
      previous = '/';
    } else {
      if (c === '(') calls.push(/([A-Za-z_$][\w$]*)\s*$/.exec(source.slice(Math.max(0, i - 40), i))?.[1] ?? '');
      else if (c === '[' || c === '{') calls.push('');
      else if (c === ')' || c === ']' || c === '}') calls.pop();
      if (!/\s/.test(c)) previous = c;
    }
  }
  return found;
}

function skipQuoted(source: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < source.length && source[i] !== quote) i += source[i] === '\\' ? 2 : 1;
  return i;
}

function skipTemplate(source: string, start: number): number {
  let i = start + 1;
  let depth = 0;
  while (i < source.length) {
    if (source[i] === '\\') i += 2;
    else if (source[i] === '`' && depth === 0) return i;
    else if (source.startsWith('${', i)) {
      depth++;
      i += 2;
    } else {
      if (source[i] === '}' && depth > 0) depth--;
      i++;
    }
  }
  return i;
}

/** The index just past a RegExp literal starting at `start`, its flags included. */
function regExpEnd(source: string, start: number): number {
  let i = start + 1;
  let inClass = false;
  while (i < source.length) {
    const c = source[i];
    if (c === '\\') i++;
    else if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (c === '/' && !inClass) break;
    i++;
  }
  i++;
  while (i < source.length && /[a-z]/.test(source[i] as string)) i++;
  return i;
}
