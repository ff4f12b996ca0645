// Files only their owner may read (tokens, upload state): written beside their place and renamed over it,
// so a reader never sees half of one, and a crash mid-write leaves the old file whole.
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function writePrivateFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  // mode applies only when the file is created; a stale tmp from a crash keeps its own.
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}
