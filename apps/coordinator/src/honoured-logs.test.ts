// `HONOURED_LOGS` (portable credit, README): other grids' log keys. A mistyped one is refused at start, as the other
// settings are, rather than showing later as every import from that grid refused.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runMain } from './testing/run-captured';

const dataDir = mkdtempSync(join(tmpdir(), 'bricolage-honoured-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('npm start with HONOURED_LOGS', () => {
  it('refuses a value that is not a list of public keys, naming it, with exit 2', async () => {
    const key = 'A'.repeat(43);
    const { code, stderr, stdout } = await runMain({ DATA_DIR: dataDir, HONOURED_LOGS: `${key}, notakey` });
    expect(code, stderr).toBe(2);
    expect(stderr).toContain("HONOURED_LOGS must be other coordinators' public keys");
    expect(stderr).toContain('got notakey');
    expect(stdout).not.toContain('listening');
  }, 60_000);
});
