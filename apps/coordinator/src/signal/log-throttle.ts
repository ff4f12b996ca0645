// At most one log line per kind of event per second, with a count of those left out: a client that floods the
// signaling server with bad input must not flood the log too.
import type { Clock } from '../clock';

export class LogThrottle {
  readonly #last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly log: (line: string) => void,
    private readonly clock: Clock,
    private readonly everyMs = 1000,
  ) {}

  /** `kind` is one of a few fixed strings (a refusal or close reason), so the map stays small. */
  line(kind: string, text: string): void {
    const now = this.clock.now();
    const last = this.#last.get(kind);
    if (last && now - last.at < this.everyMs) {
      last.suppressed++;
      return;
    }
    this.log(last?.suppressed ? `${text} (and ${last.suppressed} more like it before)` : text);
    this.#last.set(kind, { at: now, suppressed: 0 });
  }
}
