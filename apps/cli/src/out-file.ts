// A command's --out file: whether it may be written, asked before anything is sent (a command whose work is done on
// the grid, ocr, must not find out at the end that its answer has nowhere to go), and writing it whole.
import { accessSync, constants, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

/**
 * Writes `text` as the whole of `path`, or leaves `path` as it was: written beside it and renamed over it, so that
 * a full disk mid-write neither truncates a file that was there nor leaves half of the new text looking complete.
 */
export function writeWholeFile(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
