// A data directory the coordinator cannot start on because of what is in it: a truncated key file, a database
// file that is not SQLite, a file where a folder belongs, a file it may not read. The operator's to fix, so
// `npm start` says which file and why in one line (main.ts), where it used to print a stack trace.
export class DataDirectoryUnusable extends Error {
  override readonly name = 'DataDirectoryUnusable';
}

/**
 * `error` as a DataDirectoryUnusable when it is about a file of the data directory (a file system error, or
 * SQLite refusing its database file, whose message names no file: `database` is added); else `error` as it is.
 */
export function asUnusable(error: unknown, database: string): unknown {
  if (error instanceof DataDirectoryUnusable) return error;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || typeof message !== 'string') return error;
  if (code.startsWith('SQLITE_')) return new DataDirectoryUnusable(`${database}: ${message}`, { cause: error });
  if (/^E[A-Z]+$/.test(code)) return new DataDirectoryUnusable(message, { cause: error });
  return error;
}
