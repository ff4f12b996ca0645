// No test checks a message with a RegExp put bare inside toMatchObject, where it matches anything (bare-regexp.ts).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bareRegExps } from './bare-regexp';

describe('RegExps inside toMatchObject', () => {
  it('match anything there, which is why none is left bare', () => {
    // Named, not written inside toMatchObject: the check below would find it there.
    const zzz = /zzz/;
    expect({ a: 'hello' }).toMatchObject({ a: zzz });
    expect({ a: 42 }).toMatchObject({ a: zzz });
    expect(() => expect({ a: 'hello' }).toMatchObject({ a: expect.stringMatching(/zzz/) })).toThrow();
  });

  it('are found bare, and not inside stringMatching, a string, a comment or another call', () => {
    const source = [
      "expect(x).toMatchObject({ message: /bare/, code: 'a/b' });",
      'expect(x).toMatchObject({ message: expect.stringMatching(/wrapped/) }); // { message: /comment/ }',
      'expect(y).toMatch(/elsewhere/);',
      'expect(z).toMatchObject([{ why: expect.objectContaining({ text: /nested/i }) }]);',
      // A template literal's text, and the expression in it, are no RegExp.
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the source under test holds a template literal
      'const t = `${a / b} /not/`;',
    ].join('\n');
    expect(bareRegExps(source)).toEqual([
      { line: 1, text: '/bare/' },
      { line: 4, text: '/nested/i' },
    ]);
  });

  it('are none in the tests of this repository', () => {
    const files = execFileSync('git', ['ls-files', '*.test.ts', '*.test.tsx', '*.spec.ts'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    const bare = files.flatMap((file) =>
      bareRegExps(readFileSync(file, 'utf8')).map((r) => `${file}:${r.line} ${r.text}`),
    );
    expect(bare).toEqual([]);
  });
});
