// A coordinator that takes a request and then sends nothing (overloaded, or gone with the connection open):
// the CLI says so after its --timeout instead of waiting minutes, and `watch` goes on once its event stream
// goes quiet, as it does after a drop. A create whose answer never came (quiet, or the connection cut) may have
// happened, and is said so.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from './exit';
import { type Grid, SQUARES, startGrid, volunteer } from './testing/grid';
import { type QuietProxy, quietProxy } from './testing/quiet-proxy';

let grid: Grid;
let proxy: QuietProxy | null = null;
let job: string;
beforeEach(async () => {
  grid = await startGrid();
  expect((await grid.cli(['project', 'create', 'Quiet', '--login', '--url', grid.url])).exit).toBe(EXIT.ok);
  job = (await grid.cli(['job', 'create', SQUARES, '--quiet'])).stdout.trim();
});
afterEach(async () => {
  await proxy?.close();
  proxy = null;
  await grid.close();
});

describe('a coordinator that goes quiet', () => {
  it('job list: exit 5 after --timeout, saying it did not answer and how to wait longer', async () => {
    proxy = await quietProxy(grid.url, { when: () => true });
    const started = performance.now();
    const run = await grid.cli(['job', 'list', '--url', proxy.url, '--timeout', '0.3']);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(run.exit).toBe(EXIT.unreachable);
    expect(run.stderr).toContain('the coordinator sent nothing for 0.3 s (waiting for its answer)');
    expect(run.stderr).toContain('wait longer with --timeout SECONDS');
    expect(proxy.held).toEqual(['GET /v1/jobs']);
  });

  it('watch reconnects when its event stream goes quiet, and ends when the job completes', async () => {
    const units = execFileSync(process.execPath, [join(SQUARES, 'make-units.mjs'), '6'], { encoding: 'utf8' });
    expect((await grid.cli(['wus', 'add', job, '-'], { stdin: units })).exit).toBe(EXIT.ok);
    await volunteer(
      grid.url,
      2,
      async () => (await grid.coordinator.store.getJob(job as never))?.state === 'completed',
    );
    // The first request for the event stream is taken and never answered; the second is the coordinator's own.
    // (A stream that answered and then went quiet is waited for at least 30 s: the client's tests check that.)
    let quiet = 0;
    proxy = await quietProxy(grid.url, { when: (req) => req.url?.endsWith('/events') === true && quiet++ === 0 });
    const watched = await grid.cli(['watch', job, '--url', proxy.url, '--timeout', '0.5']);
    expect(watched.exit, watched.stderr).toBe(EXIT.ok);
    expect(watched.stderr).toContain(
      'event stream lost (the coordinator sent nothing for 0.5 s (waiting for its answer)); reconnecting',
    );
    expect(watched.stdout).toContain(`${job} completed: 6 validated, 0 failed`);
    expect(proxy.held).toEqual([`GET /v1/jobs/${job}/events`]);
  });

  it('job create that timed out says the job may exist, not that none was created', async () => {
    proxy = await quietProxy(grid.url, { when: (req) => req.method === 'POST' && req.url === '/v1/jobs' });
    const run = await grid.cli(['job', 'create', SQUARES, '--url', proxy.url, '--timeout', '0.5']);
    expect(run.exit).toBe(EXIT.unreachable);
    expect(run.stderr).toContain('It may have created the job all the same: see `bricolage job list`');
    expect(run.stderr).not.toContain('No job was created');
  });

  it('job create whose connection broke once the coordinator took it says the job may exist, and it does', async () => {
    proxy = await quietProxy(grid.url, { when: (req) => req.method === 'POST' && req.url === '/v1/jobs', cut: true });
    const run = await grid.cli(['job', 'create', SQUARES, '--url', proxy.url]);
    expect(run.exit).toBe(EXIT.unreachable);
    expect(run.stderr).toContain(`The connection to the coordinator at ${proxy.url} broke before its answer came.`);
    expect(run.stderr).toContain('It may have created the job all the same: see `bricolage job list`');
    expect(run.stderr).not.toContain('No job was created');
    expect((await grid.cli(['job', 'list', '--json'])).json()).toMatchObject({ jobs: [{}, {}] });
  });

  it('job create that a proxy answered 502 after the coordinator took it says the job may exist', async () => {
    proxy = await quietProxy(grid.url, {
      when: (req) => req.method === 'POST' && req.url === '/v1/jobs',
      gateway: 502,
    });
    const run = await grid.cli(['job', 'create', SQUARES, '--url', proxy.url]);
    expect(run.stderr).toContain(`What answered at ${proxy.url} was not the coordinator (HTTP 502)`);
    expect(run.stderr).toContain('It may have created the job all the same');
    expect(run.stderr).not.toContain('No job was created');
    expect((await grid.cli(['job', 'list', '--json'])).json()).toMatchObject({ jobs: [{}, {}] });
  });

  it('project create whose connection broke says the project may exist; a coordinator not running, that nothing was', async () => {
    proxy = await quietProxy(grid.url, { when: (req) => req.method === 'POST', cut: true });
    const run = await grid.cli(['project', 'create', 'Cut', '--url', proxy.url]);
    expect(run.exit).toBe(EXIT.unreachable);
    expect(run.stderr).toContain('If it created the project, its token never reached you');
    expect(run.stderr).not.toContain('Nothing was created');
    const url = proxy.url;
    await proxy.close();
    proxy = null;
    const refused = await grid.cli(['project', 'create', 'Nope', '--url', url]);
    expect(refused.exit).toBe(EXIT.unreachable);
    expect(refused.stderr).toContain(
      `Is the coordinator running at ${url}? (--url or BRICOLAGE_URL.) Nothing was created.`,
    );
  });

  it('a --timeout or BRICOLAGE_TIMEOUT that is not seconds is a usage error, before anything is sent', async () => {
    const flag = await grid.cli(['job', 'list', '--timeout', 'soon']);
    expect(flag.exit).toBe(EXIT.usage);
    expect(flag.stderr).toContain('--timeout takes seconds (0 or more; 0 waits as long as the network does), not soon');
    const env = await grid.cli(['job', 'list'], { env: { BRICOLAGE_TIMEOUT: '-1' } });
    expect(env.exit).toBe(EXIT.usage);
    expect(env.stderr).toContain('not -1 (BRICOLAGE_TIMEOUT)');
    expect((await grid.cli(['job', 'list', '--timeout', '0'])).exit).toBe(EXIT.ok);
  });
});
