// Structured logs: one JSON line per event, through pino. A request is one `debug` line (method, path,
// status, duration, client), so `npm start` shows only its banner unless LOG_LEVEL=debug asks for more;
// errors that are our fault are `error` lines. A client that goes away mid-request is not an error.
import { type DestinationStream, pino } from 'pino';

/** The part of pino the coordinator uses, so a test can hand in its own. */
export interface Logger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const isLogLevel = (s: string): s is LogLevel => (LOG_LEVELS as readonly string[]).includes(s);

/** Writes to `destination` (stdout by default), at `level` and above. */
export function createLogger(level: LogLevel = 'info', destination?: DestinationStream): Logger {
  const options = { level, base: { pid: process.pid } };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * A logger for callers that only want to hear about problems as text (`CoordinatorOptions.log`, used by
 * tests and by embedders that print elsewhere): warnings and errors reach `log`, the rest is dropped.
 */
export function messageLogger(log: (message: string) => void): Logger {
  const text = (fields: object, message?: string) => {
    const rest = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
    return `${message ?? ''}${rest}`.trim();
  };
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: (fields, message) => log(text(fields, message)),
    error: (fields, message) => log(text(fields, message)),
  };
}
