// The frame's side of the postMessage protocol with its host page: it listens only to its own parent window at
// the host's origin, and speaks only to that origin, so a page navigated elsewhere or a third party's frame on
// the same page can neither command it nor hear it.
import { type FrameMessage, HostCommand } from '@bricolage/protocol/widget';

export class HostLink {
  readonly #host: string;
  readonly #onCommand: (command: HostCommand) => void;

  constructor(host: string, onCommand: (command: HostCommand) => void) {
    this.#host = host;
    this.#onCommand = onCommand;
    addEventListener('message', this.#onMessage);
  }

  send(message: FrameMessage): void {
    // The target origin makes the browser drop the message if the parent is no longer the host's page.
    window.parent.postMessage(message, this.#host);
  }

  close(): void {
    removeEventListener('message', this.#onMessage);
  }

  readonly #onMessage = (event: MessageEvent): void => {
    const command =
      event.source === window.parent && event.origin === this.#host ? HostCommand.safeParse(event.data) : null;
    if (command?.success) this.#onCommand(command.data);
    // Counted where a person (or a test) can see it: a message ignored is an event too, and proving that nothing
    // happened needs one.
    else document.documentElement.dataset.ignoredMessages = String(++this.#ignored);
  };

  #ignored = 0;
}
