// A command given fewer arguments than it takes (a JOB missing or empty, as `JOB=$(bricolage job create … --quiet)`
// leaves when the create failed; job create without its DIR): a usage mistake, said before connecting, not "unknown command".
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EXIT } from './exit';
import { runCli } from './run';

async function cli(args: readonly string[]): Promise<{ exit: number; stderr: string }> {
  let stderr = '';
  const exit = await runCli(args, {
    // No login anywhere: the usage mistake is said before the missing token.
    env: { XDG_CONFIG_HOME: '/nonexistent/bricolage-test', HOME: '/nonexistent/bricolage-test' },
    cwd: '/nonexistent/bricolage-test',
    stdin: Readable.from([]),
    stdout: { write: () => true },
    stderr: { write: (t: string) => (stderr += t) },
  });
  return { exit, stderr };
}

const commands = ['job show', 'job pause', 'job resume', 'job cancel', 'watch', 'results'];

describe('a missing or empty job id', () => {
  it.each(commands)('%s without one says the job id is missing, exit 2', async (command) => {
    const run = await cli(command.split(' '));
    expect(run.exit).toBe(EXIT.usage);
    expect(run.stderr).toContain(`${command} takes a job id, and none was given`);
    expect(run.stderr).not.toContain('unknown command:');
  });

  it.each(commands)('%s "" says the job id was empty, exit 2', async (command) => {
    const run = await cli([...command.split(' '), '']);
    expect(run.exit).toBe(EXIT.usage);
    expect(run.stderr).toContain(`${command} takes a job id, and it was empty`);
    expect(run.stderr).toContain('that create failed');
  });

  it('wus add without one (only a FILE, or nothing) says the job id is missing; with an empty one, empty', async () => {
    for (const args of [
      ['wus', 'add', 'units.ndjson'],
      ['wus', 'add'],
    ]) {
      const run = await cli(args);
      expect(run.exit).toBe(EXIT.usage);
      expect(run.stderr).toContain('wus add takes a job id, and none was given');
    }
    const empty = await cli(['wus', 'add', '', 'units.ndjson']);
    expect(empty.exit).toBe(EXIT.usage);
    expect(empty.stderr).toContain('wus add takes a job id, and it was empty');
    const noFile = await cli(['wus', 'add', 'job_0123456789abcdef']);
    expect(noFile.exit).toBe(EXIT.usage);
    expect(noFile.stderr).toContain('wus add takes a job id and FILE');
  });

  it('a malformed one is named', async () => {
    const run = await cli(['job', 'show', 'squares']);
    expect(run.exit).toBe(EXIT.usage);
    expect(run.stderr).toContain('job show takes one job id: squares is not one');
  });

  it('job create without a DIR, or with two, says so before connecting, exit 2', async () => {
    const none = await cli(['job', 'create']);
    expect(none.exit).toBe(EXIT.usage);
    expect(none.stderr).toContain('job create takes one DIR or job.json, and none was given');
    expect(none.stderr).not.toContain('unknown command:');
    const two = await cli(['job', 'create', 'a', 'b']);
    expect(two.exit).toBe(EXIT.usage);
    expect(two.stderr).toContain('job create takes one DIR or job.json, not 2');
    const list = await cli(['job', 'list', 'extra']);
    expect(list.exit).toBe(EXIT.usage);
    expect(list.stderr).toContain('job list takes nothing more');
  });
});
