// The CLI's exit codes, one per kind of outcome a script may want to branch on (documented in `--help`
// and the README), and the exit code of each kind of client error.
import type { ClientError } from '@bricolage/client';

export const EXIT = {
  ok: 0,
  /** The coordinator answered with an error: a bad request, an unknown job, a conflict, a rate limit. */
  refused: 1,
  usage: 2,
  /** No token, or one the coordinator refused (a project token, or the operator token). */
  unauthorized: 3,
  /** Checked here, before anything was sent: a manifest, a file, a work-unit line, a changed input on resume. */
  invalidInput: 4,
  /** No answer (or none within --timeout), or the connection was cut: run the same command again (uploads and downloads resume). */
  unreachable: 5,
  /** `watch`: the job was cancelled, so it will never complete. */
  cancelled: 6,
  /** Ctrl-C. */
  interrupted: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export function exitFor(error: ClientError): ExitCode {
  switch (error.code) {
    case 'unauthorized':
    case 'token_expired':
    case 'forbidden':
      return EXIT.unauthorized;
    case 'invalid_input':
      return EXIT.invalidInput;
    case 'network':
    case 'timeout':
      return EXIT.unreachable;
    case 'aborted':
      return EXIT.interrupted;
    default:
      return EXIT.refused;
  }
}

export const EXIT_HELP = `exit codes:
  0    done
  1    the coordinator refused the request (its message says why)
  2    usage: unknown command or option
  3    no token, or the coordinator refused it (log in again; for project create, the operator token)
  4    bad input, found before anything was sent (manifest, files, work-unit lines)
  5    the coordinator did not answer (or not within --timeout), or the connection was cut: run the same
       command again to resume
  6    watch: the job was cancelled
  130  interrupted (Ctrl-C): run the same command again to resume`;
