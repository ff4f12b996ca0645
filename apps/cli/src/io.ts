// What a command touches of the process, passed in (so the tests run the CLI in-process), and the one
// place output is written: human lines, or with --json exactly one JSON line per command on stdout.
import type { ClientError } from '@bricolage/client';
import { EXIT, type ExitCode, exitFor } from './exit';

export interface Stream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface Io {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly stdout: Stream;
  readonly stderr: Stream;
  /** Fires on Ctrl-C: commands stop between requests and say how to resume. */
  readonly signal?: AbortSignal;
}

export class Output {
  constructor(
    readonly io: Io,
    readonly json: boolean,
    readonly quiet = false,
  ) {}

  /** Progress and hints for a person: stderr, and nothing with --json or --quiet. */
  note(text: string): void {
    if (!this.json && !this.quiet) this.io.stderr.write(`${text}\n`);
  }

  /** A command's result: its JSON line with --json, else `human` (a string per line) on stdout. */
  done(value: Record<string, unknown>, human: readonly string[]): ExitCode {
    if (this.json) this.io.stdout.write(`${JSON.stringify({ ok: true, ...value })}\n`);
    else for (const line of human) this.io.stdout.write(`${line}\n`);
    return EXIT.ok;
  }

  /** A failure: the message on stderr (and its JSON line on stdout with --json); returns the exit code. */
  fail(error: ClientError, hint?: string, exit: ExitCode = exitFor(error)): ExitCode {
    const message = hint ? `${error.message}\n${hint}` : error.message;
    if (this.json) this.io.stdout.write(`${JSON.stringify({ ok: false, error: { ...error, message }, exit })}\n`);
    this.io.stderr.write(`bricolage: ${message}\n`);
    return exit;
  }

  usage(message: string, usage: string): ExitCode {
    return this.fail({ code: 'bad_request', message }, usage, EXIT.usage);
  }
}
