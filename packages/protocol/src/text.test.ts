import { describe, expect, it } from 'vitest';
import { Name } from './job';
import { OpenFundedProjectRequest } from './project';
import { textProblem } from './text';

describe('text a store keeps as written', () => {
  it('refuses a NUL character and half of a surrogate pair, and takes any other Unicode', () => {
    expect(textProblem('a\u0000b')).toMatch(/NUL/);
    expect(textProblem('a\ud800b')).toMatch(/surrogate/);
    expect(textProblem('\udc00')).toMatch(/surrogate/);
    expect(textProblem('tab\tnewline\n émoji 🧪 中文 \u0001')).toBeNull();
  });

  it('is what names and a volunteer’s own project refuse', () => {
    expect(Name.safeParse('ok 🧪').success).toBe(true);
    expect(Name.safeParse('a\u0000b').success).toBe(false);
    expect(OpenFundedProjectRequest.safeParse({ name: 'mine', description: '\ud800' }).success).toBe(false);
  });
});
