// A script of the coordinator run as a process of its own under tsx, its output captured: the operator CLI
// (`npm run coordinator -- …`) beside a running coordinator, or `npm start`'s entry where a test needs how it exits.
import { spawn } from 'node:child_process';
import { COORDINATOR_MAIN, TSX_LOADER } from './child-coordinator';

export interface CommandOutput {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCaptured(script: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<CommandOutput> {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, script, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString('utf8');
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString('utf8');
  });
  return new Promise((done, fail) => {
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

/** `npm start`'s entry on an empty grid (any port, no demo, SQLite unless `env` says otherwise), run until it exits. */
export function runMain(env: Record<string, string>): Promise<CommandOutput> {
  return runCaptured(COORDINATOR_MAIN, [], {
    ...process.env,
    PORT: '0',
    SEED_DEMO: '0',
    DATABASE_URL: '',
    ...env,
  });
}
