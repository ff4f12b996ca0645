// What the reader sees inside the widget's frame: before their yes, what would run and what it costs; after it,
// what it is doing, what it earned on this site, and the controls to stop, to change the share, or to withdraw.
// Plain DOM built once and updated in place: the frame loads before the reader's first work unit, so it stays small.
import type { FrameStatus } from '@bricolage/protocol/widget';
import { formatCredit } from '../format';
import type { View } from '../session/view';

export interface CardActions {
  consent(): void;
  decline(): void;
  stop(): void;
  start(): void;
  revoke(): void;
  setThrottle(percent: number): void;
  saveReceipts(): void;
}

const LABELS: Record<FrameStatus['state'], string> = {
  consent: 'Not running',
  starting: 'Starting',
  computing: 'Computing',
  waiting: 'No work right now',
  paused: 'Paused',
  offline: 'Coordinator unreachable',
  stopped: 'Stopped',
  revoked: 'Stopped',
  failed: 'Cannot run here',
};

const PAUSES: Record<NonNullable<FrameStatus['pauseReason']>, string> = {
  hidden: 'while this page is hidden',
  offscreen: 'while this card is out of view',
  battery: 'while the device runs on battery',
};

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text = '', className = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text) e.textContent = text;
  if (className) e.className = className;
  return e;
}

function button(text: string, onClick: () => void, className = ''): HTMLButtonElement {
  const b = el('button', text, className);
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

export interface Card {
  update(view: View, status: FrameStatus, persistent: boolean): void;
  /** Whether the Start button is shown unobscured (null: the browser cannot tell). */
  readonly startButton: HTMLButtonElement;
  setStartable(seen: boolean | null): void;
  /** The same for Start again, after the reader's Stop: a click on it undoes their Stop. */
  readonly againButton: HTMLButtonElement;
  setAgainStartable(seen: boolean | null): void;
  say(text: string): void;
}

export function drawCard(
  root: HTMLElement,
  context: { project: string; host: string; base: string; pauseOffscreen: boolean },
  actions: CardActions,
): Card {
  const title = el('h1', 'Bricolage');
  const description = el('p', '', 'muted');

  const consent = el('section');
  consent.setAttribute('aria-label', 'Before anything runs');
  const startButton = button('Start contributing', actions.consent, 'primary');
  startButton.disabled = true;
  const choices = el('div', '', 'row');
  choices.append(startButton, button('No thanks', actions.decline));
  // The share is the reader's own (kept across a "Stop and forget"), so the question says what Start will use.
  // So is the battery pause, which only a browser that tells pages about its battery can keep.
  const consentShare = el('span');
  const consentBattery = el('span');
  const consentText = el(
    'p',
    'Your browser computes work units for this project while this page is open, using about ',
  );
  consentText.append(
    consentShare,
    ` of one core's time. It pauses while the page is hidden${context.pauseOffscreen ? ' or this card is out of view' : ''}`,
    consentBattery,
    '. You can stop at any time.',
  );
  consent.append(
    consentText,
    el('p', `Your key and receipts stay in this browser; ${context.host} sees only counts.`, 'muted small'),
    choices,
  );

  const running = el('section');
  running.setAttribute('aria-label', 'Contributing');
  const state = el('strong');
  state.dataset.testid = 'widget-state';
  const pause = el('span', '', 'muted');
  const counts = el('p');
  counts.dataset.testid = 'widget-counts';
  const stop = button('Stop', actions.stop);
  const again = button('Start again', actions.start);
  const share = el('select');
  for (const percent of [10, 25, 50, 100]) {
    const option = el('option', `${percent}%`);
    option.value = String(percent);
    share.append(option);
  }
  share.addEventListener('change', () => actions.setThrottle(Number(share.value)));
  const shareLabel = el('label', 'Use ');
  shareLabel.append(share);
  const controls = el('div', '', 'row');
  controls.append(stop, again, shareLabel);
  const volunteerPage = el('a', 'Your volunteer page');
  volunteerPage.href = `${context.base}/`;
  volunteerPage.target = '_blank';
  volunteerPage.rel = 'noopener';
  const more = el('div', '', 'row small');
  more.append(
    button('Stop and forget this site', actions.revoke),
    button('Save receipts', actions.saveReceipts),
    volunteerPage,
  );
  const line = el('p');
  line.append(state, ' ', pause);
  running.append(line, counts, controls, more);

  const ephemeral = el(
    'p',
    'This browser keeps nothing for sites embedded in others, so what you earn here is kept only while this page is open: save your receipts before you leave, or use the volunteer page.',
    'small',
  );
  ephemeral.hidden = true;
  const message = el('p', '', 'muted small');
  message.setAttribute('role', 'status');
  message.dataset.testid = 'widget-message';
  root.append(title, description, consent, running, ephemeral, message);

  let startable: boolean | null = false;
  let againStartable: boolean | null = false;
  let stopping = false;
  return {
    startButton,
    setStartable(seen) {
      startable = seen;
      // A button the reader cannot see is not one they can mean to press.
      startButton.disabled = seen === false;
    },
    againButton: again,
    setAgainStartable(seen) {
      againStartable = seen;
      again.disabled = seen === false || stopping;
    },
    say(text) {
      message.textContent = text;
    },
    update(view, status, persistent) {
      ephemeral.hidden = persistent || !view.booted;
      const project = view.projects.find((p) => p.id === context.project);
      if (project) {
        title.textContent = project.name;
        description.textContent = project.description;
      }
      const asking = status.state === 'consent' || status.state === 'revoked';
      // After a no, the question again: a host that keeps the frame lets the reader change their mind.
      consent.hidden = !asking;
      startButton.disabled = startable === false || !view.booted;
      running.hidden = asking || status.state === 'failed';
      state.textContent = LABELS[status.state];
      pause.textContent = status.pauseReason ? PAUSES[status.pauseReason] : '';
      // Two scopes, said so: the receipts are of every visit (and arrive only as results validate), so they may
      // outnumber the units computed since this page opened; where the browser keeps the frame no storage, they are
      // this visit's alone (held in memory), and the card says that instead.
      const receipts = status.remembered ? 'credited on this site in all, every visit' : 'credited during this visit';
      counts.textContent = `${status.computed} work unit${status.computed === 1 ? '' : 's'} computed since this page opened · ${status.credited} ${receipts} (${formatCredit(status.credit)} credit)`;
      const active = view.active;
      stop.hidden = !active;
      again.hidden = active;
      stopping = view.phase === 'stopping';
      again.disabled = againStartable === false || stopping;
      share.value = String(view.settings.throttle);
      consentShare.textContent = `${view.settings.throttle}%`;
      consentBattery.textContent = !view.settings.pauseOnBattery
        ? ''
        : view.battery.supported
          ? ', or on battery'
          : ' (this browser does not tell pages whether it runs on battery, so it cannot pause for that)';
      if (view.fatal) message.textContent = view.fatal;
    },
  };
}
