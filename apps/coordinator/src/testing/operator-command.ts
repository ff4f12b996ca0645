// Runs the operator CLI (`npm run coordinator -- …`, cli.ts) as a process of its own, as an operator would
// beside a running coordinator.
import { resolve } from 'node:path';
import { type CommandOutput, runCaptured } from './run-captured';

export type { CommandOutput } from './run-captured';

const CLI = resolve(import.meta.dirname, '../cli.ts');

export function operatorCommand(dataDir: string, args: readonly string[]): Promise<CommandOutput> {
  return runCaptured(CLI, args, { ...process.env, DATA_DIR: dataDir });
}
