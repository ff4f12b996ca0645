// The served OpenAPI document passes `redocly lint` with the recommended rules: no errors, no warnings.
// Redocly runs from node_modules, offline (telemetry and update checks off), on a copy in a temp folder.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { API } from '@bricolage/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Coordinator, startCoordinator } from '../server';

const REDOCLY = join(dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json')), 'bin', 'cli.js');

interface LintReport {
  readonly totals: { readonly errors: number; readonly warnings: number };
  readonly problems: readonly { readonly ruleId: string; readonly severity: string; readonly message: string }[];
}

/** `redocly lint FILE --extends recommended --format json`, in `dir` so that no stray config applies. */
async function lint(dir: string, document: unknown): Promise<LintReport> {
  const file = join(dir, 'openapi.json');
  writeFileSync(file, JSON.stringify(document));
  const run = await promisify(execFile)(
    process.execPath,
    [REDOCLY, 'lint', file, '--extends', 'recommended', '--format', 'json'],
    {
      cwd: dir,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
      timeout: 60_000,
    },
  ).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' })); // exit 1 when it finds errors
  return JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as LintReport;
}

describe('OpenAPI document, linted', () => {
  let dir: string;
  let coordinator: Coordinator;
  let document: { paths: Record<string, Record<string, Record<string, unknown>>> };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-redocly-'));
    coordinator = await startCoordinator({ dataDir: join(dir, 'data'), port: 0 });
    document = (await (await fetch(coordinator.url + API.openapi)).json()) as typeof document;
  });

  afterAll(async () => {
    await coordinator.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes redocly lint with the recommended rules, without errors or warnings', async () => {
    const report = await lint(dir, document);
    expect(report.problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 90_000);

  it('would fail on a route without security or operationId: the check can fail', async () => {
    const broken = structuredClone(document);
    const health = broken.paths[API.health]?.get as Record<string, unknown>;
    delete health.security;
    delete health.operationId;
    const report = await lint(dir, broken);
    expect(report.totals.errors).toBeGreaterThan(0);
    expect(report.problems.map((p) => p.ruleId)).toEqual(
      expect.arrayContaining(['security-defined', 'operation-operationId']),
    );
  }, 90_000);
});
