// The card widget.js draws on the host page, in a shadow root so the host's styles neither break it nor style it
// by accident. Open, not closed: the host page owns this DOM anyway (it could patch attachShadow), so closing it
// would protect nothing; what the host must not touch lives in the coordinator's frame. No inline script or
// style: its stylesheet is a constructed one, which a strict host CSP allows.
// Its own colour scheme, light or dark as the reader prefers, whatever the host declares: the coordinator's frame
// inside follows the same preference on the same background (apps/web/src/frame/frame.css), and an iframe whose
// scheme differs from its element's would get an opaque backdrop. Focus rings keep 3:1 against the card.
const CSS = `
:host{display:block;max-width:32rem;font:14px/1.4 system-ui,sans-serif;color:#1d2330;color-scheme:light dark}
.card{border:1px solid #c9cfdb;border-radius:8px;padding:12px 14px;background:#fbfcfe}
.by,.note{font-size:12px;color:#5a6478}
.by{margin:0}
h2{margin:2px 0 4px;font-size:16px}
p{margin:0 0 8px}
button{font:inherit;padding:6px 12px;border-radius:6px;border:1px solid #2553b8;background:#2f62d4;color:#fff;cursor:pointer}
button:focus-visible{outline:3px solid #c25400;outline-offset:2px}
.note{margin-top:8px}
iframe{display:block;width:100%;height:200px;border:0;margin-top:4px}
@media (prefers-color-scheme:dark){:host{color:#e8eaed}.card{border-color:#5b6474;background:#1b1f27}.by,.note{color:#a9b1bb}button:focus-visible{outline-color:#ffb36b}}
`;

export interface CardParts {
  readonly root: ShadowRoot;
  readonly title: HTMLElement;
  readonly text: HTMLElement;
  readonly button: HTMLButtonElement;
  readonly note: HTMLElement;
  readonly slot: HTMLElement;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text) e.textContent = text;
  return e;
}

export function drawCard(host: HTMLElement): CardParts {
  const root = host.attachShadow({ mode: 'open' });
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(CSS);
  root.adoptedStyleSheets = [sheet];
  const card = el('div', 'card');
  // The card's words are English whatever the host page's language, so that screen readers say them so.
  card.lang = 'en';
  const by = el('p', 'by', 'Bricolage · volunteer computing');
  const title = el('h2', '', 'Loading…');
  const text = el('p');
  const button = el('button', '', 'Contribute while I read…');
  button.type = 'button';
  button.hidden = true;
  const note = el('p', 'note');
  // The note says what the button will (or did) do: read with it when it gets focus, as after "Stop and forget".
  note.id = 'note';
  button.setAttribute('aria-describedby', note.id);
  const slot = el('div');
  card.append(by, title, text, button, note, slot);
  root.append(card);
  return { root, title, text, button, note, slot };
}
