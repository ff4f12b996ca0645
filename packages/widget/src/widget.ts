// widget.js: `<script src="https://COORDINATOR/widget.js" data-project="prj_…" async integrity="sha384-…"
// crossorigin>` or `<bricolage-widget project="prj_…">`. It draws a card and, only after the reader's click,
// loads the coordinator's frame, where the reader consents and the work runs. The host page gets counts only.
import type { FrameStatus } from '@bricolage/protocol/widget';
import { type CardParts, drawCard } from './card';
import { command, frameMessage, frameUrl, hintKey, projectPath, widgetProject } from './messages';

const TAG = 'bricolage-widget';

function remembered(key: string, value?: boolean): boolean {
  try {
    if (value === true) localStorage.setItem(key, '1');
    else if (value === false) localStorage.removeItem(key);
    return localStorage.getItem(key) === '1';
  } catch {
    return false; // storage blocked on this site: the reader clicks each visit
  }
}

function define(base: string): void {
  class BricolageWidget extends HTMLElement {
    #card: CardParts | null = null;
    #frame: HTMLIFrameElement | null = null;
    #status: FrameStatus | null = null;
    #project = '';
    /** The frame was opened because this site remembered a yes, not by a click now. */
    #fromHint = false;

    /** The frame's last status: state and counts (never the reader's key or receipts). */
    get status(): FrameStatus | null {
      return this.#status;
    }

    /** Asks the frame to compute; it does only if the reader already said yes on this site. */
    start(): void {
      this.#post('bricolage:start');
    }

    stop(): void {
      this.#post('bricolage:stop');
    }

    connectedCallback(): void {
      if (this.#card) return;
      this.#project = this.getAttribute('project') ?? '';
      const card = drawCard(this);
      this.#card = card;
      card.button.addEventListener('click', (event) => {
        // A click the host's script made up (element.click(), dispatchEvent) is not the reader's.
        if (event.isTrusted) this.#open();
      });
      void this.#load(card);
    }

    disconnectedCallback(): void {
      removeEventListener('message', this.#onMessage);
    }

    async #load(card: CardParts): Promise<void> {
      let project = null;
      let problem = 'This project could not be reached.';
      try {
        const res = await fetch(base + projectPath(this.#project), { credentials: 'omit' });
        if (res.ok) project = widgetProject(await res.json());
        // The coordinator answered that it has no such project: the page's project id is wrong, not the network.
        else if (res.status === 400 || res.status === 404)
          problem = `This coordinator has no project ${JSON.stringify(this.#project)}: check the page's project id.`;
      } catch {
        project = null;
      }
      if (!project) {
        card.title.textContent = 'Bricolage';
        card.note.textContent = problem;
        return;
      }
      card.title.textContent = project.name;
      card.text.textContent = project.description;
      if (!project.embeddable) {
        card.note.textContent = `${project.name} has not allowed this site to embed it.`;
        return;
      }
      card.button.hidden = false;
      card.note.textContent = 'Nothing runs until you agree in the next step.';
      // The reader said yes here before: open the frame, which checks its own record of that.
      if (remembered(this.#key())) this.#open(true);
    }

    #key(): string {
      return hintKey(base, this.#project);
    }

    #open(fromHint = false): void {
      const card = this.#card;
      if (!card || this.#frame) return;
      const frame = document.createElement('iframe');
      frame.title = `Contribute compute to ${card.title.textContent}`;
      frame.src = frameUrl(base, this.#project, location.origin, this.hasAttribute('pause-offscreen'));
      this.#fromHint = fromHint;
      this.#frame = frame;
      addEventListener('message', this.#onMessage);
      // Hiding the focused button would drop the reader's focus to the page's start: it goes to the frame instead,
      // and once the frame's document is there (unless the reader went elsewhere meanwhile) into it, so that the
      // next Tab reaches its Start.
      const focused = card.root.activeElement === card.button;
      card.button.hidden = true;
      card.note.textContent = '';
      card.slot.append(frame);
      if (!focused) return;
      frame.focus();
      frame.addEventListener('load', () => card.root.activeElement === frame && frame.contentWindow?.focus(), {
        once: true,
      });
    }

    #close(note: string): void {
      removeEventListener('message', this.#onMessage);
      const card = this.#card;
      const focused = !!card && !!this.#frame && card.root.activeElement === this.#frame;
      this.#frame?.remove();
      this.#frame = null;
      if (!card) return;
      card.button.hidden = false;
      card.note.textContent = note;
      // The reader was in the frame (its "Stop and forget this site"): back to the button, which the note describes.
      if (focused) card.button.focus();
    }

    #post(type: 'bricolage:start' | 'bricolage:stop'): void {
      this.#frame?.contentWindow?.postMessage(command(type), base);
    }

    readonly #onMessage = (event: MessageEvent): void => {
      const message = frameMessage(event, base, this.#frame?.contentWindow);
      if (!message) return;
      if (message.type === 'bricolage:resize') {
        if (this.#frame) this.#frame.style.height = `${message.height}px`;
        return;
      }
      if (message.type === 'bricolage:status') {
        this.#status = message;
        if (message.state === 'revoked') {
          remembered(this.#key(), false);
          this.#close('Stopped. This site no longer runs anything for you.');
        } else if (message.state === 'consent') {
          // Opened from the hint, but the frame holds no consent (cleared, or the hint was planted):
          // nothing is shown without a click.
          if (this.#fromHint) {
            remembered(this.#key(), false);
            this.#close('Nothing runs until you agree in the next step.');
          }
        } else if (message.state !== 'failed' && message.state !== 'starting')
          // Not while starting: before the frame has read its consent, it cannot say whether it holds one.
          remembered(this.#key(), message.remembered);
      }
      this.dispatchEvent(new CustomEvent(message.type, { detail: message }));
    };
  }
  customElements.define(TAG, BricolageWidget);
}

function mount(script: HTMLScriptElement): void {
  const project = script.dataset.project;
  if (!project) return;
  const widget = document.createElement(TAG);
  widget.setAttribute('project', project);
  if (script.hasAttribute('data-pause-offscreen')) widget.setAttribute('pause-offscreen', '');
  const target = script.dataset.target ? document.querySelector(script.dataset.target) : null;
  if (target) target.append(widget);
  else if (document.body?.contains(script)) script.after(widget);
  else document.body?.append(widget);
}

const script = document.currentScript;
if (script instanceof HTMLScriptElement && script.src) {
  if (!customElements.get(TAG)) define(new URL(script.src).origin);
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => mount(script));
  else mount(script);
}
