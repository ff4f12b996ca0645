// An NDJSON file of work units read as `wus add` reads it: its lines as they are, or the line whose bytes are
// not UTF-8 named, never uploaded with U+FFFD in place of what the researcher wrote.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SourceLine, workUnitSource } from './work-unit-source';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bricolage-units-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function linesOf(bytes: Uint8Array | string): Promise<SourceLine[]> {
  const path = join(dir, 'units.ndjson');
  writeFileSync(path, bytes);
  const source = workUnitSource(path);
  if (!source.ok) throw new Error(source.error.message);
  const lines: SourceLine[] = [];
  for await (const line of source.value.lines()) lines.push(line);
  return lines;
}

describe('an NDJSON work-unit file', () => {
  it('names a line that is not UTF-8 instead of changing its bytes', async () => {
    const latin1 = Buffer.concat([
      Buffer.from('{"input":"AAAA","tag":"a"}\n{"input":"AAAA","tag":"caf'),
      Buffer.from([0xe9]),
      Buffer.from('"}\n'),
    ]);
    const lines = await linesOf(latin1);
    expect(lines[0]?.text).toBe('{"input":"AAAA","tag":"a"}');
    expect(lines[1]).toMatchObject({ where: expect.stringMatching(/line 2$/), problem: 'not UTF-8 text' });
    expect(lines.some((l) => l.text.includes('\uFFFD'))).toBe(false);
  });

  it('reads UTF-8 lines as written: CRLF ends, a byte-order mark, blank lines, no final newline', async () => {
    const lines = await linesOf('\uFEFF{"tag":"é"}\r\n\n  \r\n{"tag":"\uFFFD kept"}');
    expect(lines.map((l) => [l.text, l.at?.line, l.problem])).toEqual([
      ['{"tag":"é"}', 1, undefined],
      ['{"tag":"\uFFFD kept"}', 4, undefined],
    ]);
  });

  it('keeps a line longer than a read chunk whole, a multibyte character cut between chunks included', async () => {
    const long = `{"tag":"${'é'.repeat(100_000)}"}`;
    const lines = await linesOf(`${long}\n${long}\n`);
    expect(lines.map((l) => l.text)).toEqual([long, long]);
  });
});
