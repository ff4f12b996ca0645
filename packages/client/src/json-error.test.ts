// A JSON syntax error as the line and column an editor jumps to, with V8's reason and nothing of the text.
import { describe, expect, it } from 'vitest';
import { jsonSyntaxError } from './json-error';

const at = (text: string) => {
  try {
    JSON.parse(text);
  } catch (e) {
    return jsonSyntaxError(text, e);
  }
  throw new Error(`${text} parsed`);
};

describe('jsonSyntaxError', () => {
  it('turns the position V8 gives into a line and column', () => {
    expect(at('{\n  "a": 1,\n  "b" 2\n}')).toEqual({ line: 3, column: 7, reason: 'Unexpected number' });
    expect(at('{"a":1,}')).toEqual({ line: 1, column: 8, reason: 'Expected double-quoted property name' });
  });

  it('finds the place when V8 names only the token, and leaves out its quote of the text', () => {
    expect(at('{\n  "a": undefined\n}')).toEqual({ line: 2, column: 8, reason: "Unexpected token 'u'" });
    expect(at('[1,\n2,\n]')).toEqual({ line: 3, column: 1, reason: "Unexpected token ']'" });
    expect(at('// notes\n{}')).toEqual({ line: 1, column: 1, reason: "Unexpected token '/'" });
  });

  it('puts an unexpected end at the end', () => {
    expect(at('{\n  "a": [1, 2,\n')).toEqual({ line: 3, column: 1, reason: 'Unexpected end of JSON input' });
    expect(at('')).toEqual({ line: 1, column: 1, reason: 'Unexpected end of JSON input' });
  });
});
