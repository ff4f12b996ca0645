// The Chrome DevTools Protocol over the pipe Chromium opens with --remote-debugging-pipe (fd 3: to the
// browser, fd 4: from it; NUL-terminated JSON). A pipe, unlike a debugging port, is reachable only by the
// process that started the browser, and the browser exits when it closes.
import type { Readable, Writable } from 'node:stream';

export type CdpParams = Record<string, unknown>;
type Handler = (params: CdpParams, sessionId: string | undefined) => void;

interface Reply {
  readonly id: number;
  readonly result?: CdpParams;
  readonly error?: { readonly message: string };
}

interface Event {
  readonly method: string;
  readonly params?: CdpParams;
  readonly sessionId?: string;
}

export class CdpError extends Error {
  override readonly name = 'CdpError';
}

export class CdpConnection {
  readonly #out: Writable;
  #nextId = 1;
  readonly #pending = new Map<
    number,
    { resolve(v: CdpParams): void; reject(e: Error): void; method: string; sessionId: string | undefined }
  >();
  /** Sessions whose target is gone (a crashed page): what they were sent is never answered. */
  readonly #failed = new Map<string, Error>();
  readonly #handlers = new Map<string, Set<Handler>>();
  #buffer = '';
  #closed: Error | null = null;
  readonly #onClose = new Set<(reason: Error) => void>();

  constructor(input: Readable, output: Writable) {
    this.#out = output;
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => this.#receive(chunk));
    input.on('close', () => this.#close(new CdpError('the browser closed its DevTools pipe')));
    input.on('error', (e: Error) => this.#close(new CdpError(`DevTools pipe failed: ${e.message}`)));
    // Writing after the browser exited fails with EPIPE; the read side reports the loss.
    output.on('error', () => undefined);
  }

  get closed(): boolean {
    return this.#closed !== null;
  }

  /** Sends `method` (to a target's session when `sessionId` is given) and resolves with its result. */
  send<T = CdpParams>(method: string, params: CdpParams = {}, sessionId?: string): Promise<T> {
    if (this.#closed) return Promise.reject(this.#closed);
    const failed = sessionId === undefined ? undefined : this.#failed.get(sessionId);
    if (failed) return Promise.reject(failed);
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: CdpParams) => void, reject, method, sessionId });
      this.#out.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  }

  /**
   * Fails what is in flight on `sessionId`, and what is sent to it later, with `reason`. Chromium does not answer
   * a command to a page that crashed while it ran (an evaluate awaiting a promise): without this, whoever awaits
   * it waits forever (the farm's poll of all its tabs did).
   */
  failSession(sessionId: string, reason: Error): void {
    this.#failed.set(sessionId, reason);
    for (const [id, waiting] of this.#pending) {
      if (waiting.sessionId !== sessionId) continue;
      this.#pending.delete(id);
      waiting.reject(reason);
    }
  }

  /** Calls `handler` for every `method` event; returns the function that stops it. */
  on(method: string, handler: Handler): () => void {
    let set = this.#handlers.get(method);
    if (!set) {
      set = new Set();
      this.#handlers.set(method, set);
    }
    set.add(handler);
    return () => set.delete(handler);
  }

  onClose(listener: (reason: Error) => void): void {
    if (this.#closed) listener(this.#closed);
    else this.#onClose.add(listener);
  }

  #receive(chunk: string): void {
    this.#buffer += chunk;
    for (let end = this.#buffer.indexOf('\0'); end >= 0; end = this.#buffer.indexOf('\0')) {
      const text = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 1);
      let message: Reply | Event;
      try {
        message = JSON.parse(text) as Reply | Event;
      } catch {
        continue; // not ours to interpret; the browser never sends this
      }
      if ('id' in message) {
        const waiting = this.#pending.get(message.id);
        if (!waiting) continue;
        this.#pending.delete(message.id);
        if (message.error) waiting.reject(new CdpError(`${waiting.method}: ${message.error.message}`));
        else waiting.resolve(message.result ?? {});
      } else {
        for (const handler of this.#handlers.get(message.method) ?? [])
          handler(message.params ?? {}, message.sessionId);
      }
    }
  }

  #close(reason: Error): void {
    if (this.#closed) return;
    this.#closed = reason;
    for (const waiting of this.#pending.values()) waiting.reject(reason);
    this.#pending.clear();
    for (const listener of this.#onClose) listener(reason);
    this.#onClose.clear();
  }
}
