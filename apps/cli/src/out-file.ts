// Whether a command may write its --out file, asked before it sends anything: a command whose work is done on the
// grid (ocr) must not find out at the end that its answer has nowhere to go.
import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** Why `path` cannot be written (created, or appended to), or null. */
export function outFileProblem(path: string): string | null {
  try {
    const stat = statSync(path);
    if (!stat.isFile()) return `${path} is not a file`;
    accessSync(path, constants.W_OK);
    return null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES') return `${path} is not writable`;
    if (code !== 'ENOENT') return `${path}: ${(e as Error).message}`;
  }
  const folder = dirname(path);
  try {
    if (!statSync(folder).isDirectory()) return `${folder} is not a folder`;
    accessSync(folder, constants.W_OK);
    return null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? `${folder}: no such folder`
      : code === 'EACCES'
        ? `${folder} is not writable`
        : `${folder}: ${(e as Error).message}`;
  }
}
