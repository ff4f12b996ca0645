// The operator token file as a crash or an operator may leave it: an empty file holds no token, and the
// coordinator must not start with none (every operator request would then be refused, with nothing said).
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureOperatorToken, isOperatorToken, operatorTokenPath } from './operator-token';

describe('the operator token file', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['nothing', ''],
    ['only blanks', ' \n'],
  ])('replaces a file holding %s (a start cut off mid-write) with a new token, and says it made one', (_, text) => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-operator-token-'));
    writeFileSync(operatorTokenPath(dir), text, { mode: 0o644 });
    const made = ensureOperatorToken(dir);
    expect(made.created).toBe(true);
    expect(made.token).toMatch(/^bro_[A-Za-z0-9_-]{43}$/);
    expect(readFileSync(operatorTokenPath(dir), 'utf8')).toBe(`${made.token}\n`);
    expect(statSync(operatorTokenPath(dir)).mode & 0o777).toBe(0o600);
    expect(isOperatorToken(dir, made.token)).toBe(true);
  });

  it('keeps a token that is there', () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-operator-token-'));
    const first = ensureOperatorToken(dir);
    expect(ensureOperatorToken(dir)).toEqual({ token: first.token, created: false });
  });
});
