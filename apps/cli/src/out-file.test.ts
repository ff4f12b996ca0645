// An --out file written whole or not at all (ocr writes its pages at the end, in one go): a write cut short by
// a full disk leaves the file that was there as it was, and nothing beside it. The disk is filled here with a
// file-size limit (ulimit -f) on a child process: Node ignores SIGXFSZ, so the write fails with EFBIG.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const OUT_FILE = pathToFileURL(resolve(import.meta.dirname, 'out-file.ts')).href;

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writeWholeFile', () => {
  it.runIf(process.platform === 'linux')('leaves the file that was there whole when the disk fills mid-write', () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-out-'));
    const path = join(dir, 'pages.ndjson');
    writeFileSync(path, 'the pages of an earlier run\n');
    const script = `import { writeWholeFile } from ${JSON.stringify(OUT_FILE)};
try { writeWholeFile(${JSON.stringify(path)}, 'x'.repeat(64 * 1024)); } catch (e) { console.log(e.code); }`;
    // 4 blocks of 512 bytes: the 64 KiB text cannot fit.
    const said = execFileSync(
      'bash',
      ['-c', `ulimit -f 4; exec "$0" --import tsx --input-type=module -e "$1"`, process.execPath, script],
      {
        cwd: import.meta.dirname,
        encoding: 'utf8',
      },
    );
    expect(said.trim()).toBe('EFBIG');
    expect(readFileSync(path, 'utf8')).toBe('the pages of an earlier run\n');
    expect(readdirSync(dir)).toEqual(['pages.ndjson']);
  });
});
