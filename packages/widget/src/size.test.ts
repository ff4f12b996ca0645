// widget.js's budget: at most 5 KB gzip, measured on a fresh build of it (not on whatever dist/ holds), and
// nothing in it a strict host CSP would refuse (eval, new Function, inline script or style).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Rolldown } from 'vite';
import { beforeAll, describe, expect, it } from 'vitest';

const BUDGET_GZIP_BYTES = 5 * 1024;
const config = join(dirname(fileURLToPath(import.meta.url)), '..', 'vite.config.ts');

describe('widget.js', () => {
  let code = '';

  beforeAll(async () => {
    const output = (await build({ configFile: config, logLevel: 'silent', build: { write: false } })) as
      | Rolldown.RolldownOutput
      | Rolldown.RolldownOutput[];
    const chunks = (Array.isArray(output) ? output : [output]).flatMap((o) => o.output);
    // One file: a host adds one script tag, pinned by one integrity hash.
    expect(chunks.map((c) => c.fileName)).toEqual(['widget.js']);
    const chunk = chunks[0];
    code = chunk && chunk.type === 'chunk' ? chunk.code : '';
  });

  it(`is at most ${BUDGET_GZIP_BYTES} bytes gzip`, () => {
    const gzip = gzipSync(code, { level: 9 }).length;
    console.log(`widget.js: ${code.length} bytes, ${gzip} bytes gzip (budget ${BUDGET_GZIP_BYTES})`);
    expect(code.length).toBeGreaterThan(1000); // the real script, not an empty build
    expect(gzip).toBeLessThanOrEqual(BUDGET_GZIP_BYTES);
  });

  it('is a classic script with no eval, no code from strings, and no inline script or style', () => {
    expect(code).not.toMatch(/\bimport\s*[({]|\bexport\s/);
    expect(code).not.toMatch(/\beval\s*\(|\bnew Function\b|\bFunction\s*\(/);
    expect(code).not.toMatch(/createElement\(\s*[`'"](script|style)[`'"]/);
    expect(code).not.toMatch(/\.innerHTML\b|insertAdjacentHTML|document\.write|setAttribute\(\s*[`'"]style/);
    expect(code).not.toMatch(/sourceMappingURL/);
  });
});
