// Runs the operator CLI (`npm run coordinator -- …`, cli.ts) as a process of its own, as an operator would
// beside a running coordinator.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { TSX_LOADER } from './child-coordinator';

const CLI = resolve(import.meta.dirname, '../cli.ts');

export interface CommandOutput {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function operatorCommand(dataDir: string, args: readonly string[]): Promise<CommandOutput> {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, CLI, ...args], {
    env: { ...process.env, DATA_DIR: dataDir },
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
