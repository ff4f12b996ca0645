// What the client checks of each work-unit line before sending: what the coordinator would refuse.
import { toBase64 } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { workUnitLine, workUnitProblem } from './work-units';

const sizes = { input: 16, output: 8 };

describe('workUnitProblem', () => {
  it('accepts a line the coordinator accepts', () => {
    expect(
      workUnitProblem(workUnitLine({ input: new Uint8Array(16), tag: 't', expected: new Uint8Array(8) }), sizes),
    ).toBe(null);
  });

  it('names what is wrong: shape, base64, sizes', () => {
    expect(workUnitProblem('{"tag":"x"}', sizes)?.message).toMatch(/^input: /);
    expect(workUnitProblem('{"input":"AAAA-A=="}', sizes)?.message).toBe('input is not base64');
    // Unpadded, or with bits past the data: not canonical, which the coordinator refuses.
    expect(workUnitProblem('{"input":"AAA"}', sizes)?.message).toBe('input is not base64');
    expect(workUnitProblem('{"input":"AB=="}', sizes)?.message).toBe('input is not base64');
    expect(workUnitProblem(JSON.stringify({ input: toBase64(new Uint8Array(15)) }), sizes)?.message).toBe(
      "input is 15 bytes; the job's inputs total 16",
    );
    expect(
      workUnitProblem(
        JSON.stringify({ input: toBase64(new Uint8Array(16)), expected: toBase64(new Uint8Array(4)) }),
        sizes,
      )?.message,
    ).toBe("expected is 4 bytes; the job's outputs total 8");
  });

  it('says where a line stops being JSON, as a column, and why', () => {
    expect(workUnitProblem('{"input": "AAAA", "tag": undefined}', sizes)).toEqual({
      message: "not JSON (Unexpected token 'u')",
      column: 26,
    });
    expect(workUnitProblem('{"input":', sizes)).toEqual({
      message: 'not JSON (Unexpected end of JSON input)',
      column: 10,
    });
  });

  it('checks an input of millions of characters without overflowing the stack', () => {
    // 8 Mi characters of zero bits: past the ≈ 4.47 M at which a whole-string regex overflowed V8's stack.
    const line = JSON.stringify({ input: 'A'.repeat(8 * 1024 * 1024) });
    expect(workUnitProblem(line, { input: 6 * 1024 * 1024, output: 8 })).toBe(null);
  });
});
