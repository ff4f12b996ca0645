// A job's inputChecks over real HTTP: the coordinator refuses, at upload, a work unit whose input lies
// outside the bounds its kernel declares, naming the line and the field, and keeps nothing of the batch.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API, type CreateJobRequest, toBase64 } from '@bricolage/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../clock';
import { type Coordinator, startCoordinator } from '../server';
import { Researcher, squareInput, squareJob } from '../testing/fixtures';

const line = (input: Uint8Array) => `${JSON.stringify({ input: toBase64(input) })}\n`;

describe('input checks at upload', () => {
  let dir: string;
  let coordinator: Coordinator;
  let researcher: Researcher;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-checks-'));
    coordinator = await startCoordinator({ dataDir: dir, port: 0, random: seededRandom(1) });
    researcher = new Researcher(coordinator.url, (await coordinator.createProject('checks')).token);
  });

  afterEach(async () => {
    await coordinator.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The square job with these input checks. */
  const withChecks = (inputChecks: unknown[]) => {
    const { spec } = squareJob();
    return { spec: { ...spec, inputChecks } as CreateJobRequest['spec'] };
  };

  it('refuses the batch at the first line outside the bounds, naming it, and adds nothing', async () => {
    const job = await researcher.createSquareJob(
      withChecks([
        { name: 'first', offset: 0, type: 'u32', max: '1000' },
        { name: 'pair', offset: 8, type: 'u64', min: '5' },
      ]),
    );
    const body = line(squareInput(1)) + line(squareInput(998)) + line(squareInput(1001)) + line(squareInput(2));
    const res = await researcher.request('POST', API.workUnits(job), body, 'application/x-ndjson');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: 'bad_request', message: "line 3: first = 1001 is above the job's maximum 1000" },
    });
    // The u64 at offset 8 is (n + 2) + (n + 3)·2^32: for n = 1, 3 + 4·2^32 ≥ 5; a zero input is below it.
    const low = await researcher.request('POST', API.workUnits(job), line(new Uint8Array(16)), 'application/x-ndjson');
    expect(await low.json()).toMatchObject({ error: { message: "line 1: pair = 0 is below the job's minimum 5" } });
    expect((await researcher.progress(job)).counts.unsent).toBe(0);
    const ok = await researcher.request('POST', API.workUnits(job), line(squareInput(1)), 'application/x-ndjson');
    expect(ok.status).toBe(200);
  });

  it('refuses a job whose checks lie outside its input or cannot hold their bounds', async () => {
    for (const checks of [
      [{ name: 'past', offset: 12, type: 'u64', max: '1' }],
      [{ name: 'big', offset: 0, type: 'u32', max: '4294967296' }],
      [{ name: 'backwards', offset: 0, type: 'u32', min: '7', max: '3' }],
      [{ name: 'notdecimal', offset: 0, type: 'u32', max: '1e3' }],
    ]) {
      await expect(researcher.createSquareJob(withChecks(checks)), JSON.stringify(checks)).rejects.toThrow(
        /job creation failed: .*(input check|decimal)/,
      );
    }
  });
});
