// What the reader sees inside the widget's frame: before their yes, what would run and what it costs; after it,
// what it is doing, what it earned on this site, and the controls to stop, to change the share, or to withdraw.
// Plain DOM built once and updated in place: the frame loads before the reader's first work unit, so it stays small.
import type { FrameStatus } from '@bricolage/protocol/widget';
import { formatCredit } from '../format';
import type { View } from '../session/view';
import { mayPress, type Sight } from './in-view';

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

/** Why a Start cannot be pressed now, said beside it and again when it is pressed anyway. */
const UNSEEN: Partial<Record<Sight, string>> = {
  checking: 'Checking that this widget is fully visible: try again in a moment.',
  'out-of-view': 'Scroll the widget fully into view to start.',
  obscured: "This site's layout covers, fades or transforms part of the widget, so it cannot start here.",
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
  /** Whether the Start button is shown unobscured: a press is obeyed only when it may be (see in-view.ts). */
  readonly startButton: HTMLButtonElement;
  setStartable(sight: Sight): void;
  /** The same for Start again, after the reader's Stop: a click on it undoes their Stop. */
  readonly againButton: HTMLButtonElement;
  setAgainStartable(sight: Sight): void;
  say(text: string): void;
}

/**
 * A Start that may refuse a press. Not `disabled`: a disabled button leaves the Tab order and says nothing, so a
 * reader whose host page hides part of the card could neither reach it nor learn why. Marked aria-disabled instead,
 * it stays reachable, its reason is shown beside it (and read with it), and a press says that reason aloud.
 */
function gatedButton(
  id: string,
  text: string,
  className: string,
  say: (text: string) => void,
  onPress: () => void,
): { button: HTMLButtonElement; why: HTMLElement; set(reason: string | null, shown: string): void } {
  let reason: string | null = null;
  const why = el('p', '', 'muted small');
  why.id = id;
  why.hidden = true;
  const b = button(
    text,
    () => {
      if (reason) say(`Nothing started. ${reason}`);
      else {
        say('');
        onPress();
      }
    },
    className,
  );
  b.setAttribute('aria-describedby', why.id);
  b.setAttribute('aria-disabled', 'true');
  return {
    button: b,
    why,
    set(next, shown) {
      reason = next;
      b.setAttribute('aria-disabled', String(next !== null));
      why.textContent = shown;
      // A hidden button is out of view to the observer, but there is nothing to explain.
      why.hidden = !shown || b.hidden;
    },
  };
}

export function drawCard(
  root: HTMLElement,
  context: { project: string; host: string; base: string; pauseOffscreen: boolean },
  actions: CardActions,
): Card {
  const title = el('h1', 'Bricolage');
  // Where focus goes when nothing else in the card can take it (the frame failed).
  title.tabIndex = -1;
  const description = el('p', '', 'muted');

  const consent = el('section');
  consent.setAttribute('aria-label', 'Before anything runs');
  const message = el('p', '', 'muted small');
  message.setAttribute('role', 'status');
  message.dataset.testid = 'widget-message';
  const say = (text: string) => {
    message.textContent = text;
  };
  const start = gatedButton('why-start', 'Start contributing', 'primary', say, actions.consent);
  const startButton = start.button;
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
    start.why,
  );

  const running = el('section');
  running.setAttribute('aria-label', 'Contributing');
  const state = el('strong');
  state.dataset.testid = 'widget-state';
  const pause = el('span', '', 'muted');
  const counts = el('p');
  counts.dataset.testid = 'widget-counts';
  const stop = button('Stop', actions.stop);
  const againGate = gatedButton('why-again', 'Start again', '', say, actions.start);
  const again = againGate.button;
  const share = el('select');
  share.id = 'share';
  for (const percent of [10, 25, 50, 100]) {
    const option = el('option', `${percent}%`);
    option.value = String(percent);
    share.append(option);
  }
  share.addEventListener('change', () => actions.setThrottle(Number(share.value)));
  const shareLabel = el('label', 'Share of one core');
  shareLabel.htmlFor = share.id;
  const controls = el('div', '', 'row');
  controls.append(stop, again, shareLabel, share);
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
  // A live region, as on the volunteer page: Starting, Computing, a pause and its reason are heard as they come.
  const line = el('p');
  line.setAttribute('role', 'status');
  line.append(state, ' ', pause);
  running.append(line, counts, controls, againGate.why, more);

  const ephemeral = el(
    'p',
    'This browser keeps nothing for sites embedded in others, so what you earn here is kept only while this page is open: save your receipts before you leave, or use the volunteer page.',
    'small',
  );
  ephemeral.hidden = true;
  root.append(title, description, consent, running, ephemeral, message);

  let startSight: Sight = 'checking';
  let againSight: Sight = 'checking';
  let booted = false;
  let stopping = false;
  // A button the reader cannot see is not one they can mean to press. `checking` lasts 100 ms: said only on a press.
  const gate = (sight: Sight, busy: string | null) => {
    const reason = mayPress(sight) ? busy : (UNSEEN[sight] ?? null);
    return [reason, sight === 'checking' ? '' : mayPress(sight) ? '' : (reason ?? '')] as const;
  };
  const gateStart = () => start.set(...gate(startSight, booted ? null : 'Still loading: try again in a moment.'));
  const gateAgain = () =>
    againGate.set(...gate(againSight, stopping ? 'Still stopping: try again in a moment.' : null));
  /** Where focus goes when the control that had it is hidden by the change the reader asked for. */
  const nextFocus = (): HTMLElement =>
    !consent.hidden ? startButton : running.hidden ? title : stop.hidden ? again : stop;
  return {
    startButton,
    setStartable(sight) {
      startSight = sight;
      gateStart();
    },
    againButton: again,
    setAgainStartable(sight) {
      againSight = sight;
      gateAgain();
    },
    say,
    update(view, status, persistent) {
      const focused = document.activeElement;
      ephemeral.hidden = persistent || !view.booted;
      const project = view.projects.find((p) => p.id === context.project);
      if (project) {
        title.textContent = project.name;
        description.textContent = project.description;
      }
      const asking = status.state === 'consent' || status.state === 'revoked';
      // After a no, the question again: a host that keeps the frame lets the reader change their mind.
      consent.hidden = !asking;
      booted = view.booted;
      gateStart();
      running.hidden = asking || status.state === 'failed';
      // Given nothing because of the reader's key itself (its recent errors), not for want of work: said so.
      const held = status.state === 'waiting' ? view.heldBack : null;
      state.textContent = held ? 'Held back' : LABELS[status.state];
      pause.textContent = status.pauseReason
        ? PAUSES[status.pauseReason]
        : held
          ? held.why === 'errors'
            ? `until ${new Date(held.until).toLocaleTimeString()}: too many recent errors`
            : 'its results no longer count'
          : '';
      // Two scopes, said so: the receipts are of every visit (and arrive only as results validate), so they may
      // outnumber the units computed since this page opened; where the browser keeps the frame no storage, they are
      // this visit's alone (held in memory), and the card says that instead.
      const receipts = status.remembered ? 'credited on this site in all, every visit' : 'credited during this visit';
      counts.textContent = `${status.computed} work unit${status.computed === 1 ? '' : 's'} computed since this page opened · ${status.credited} ${receipts} (${formatCredit(status.credit)} credit)`;
      const active = view.active;
      stop.hidden = !active;
      again.hidden = active;
      stopping = view.phase === 'stopping';
      gateAgain();
      share.value = String(view.settings.throttle);
      consentShare.textContent = `${view.settings.throttle}%`;
      consentBattery.textContent = !view.settings.pauseOnBattery
        ? ''
        : view.battery.supported
          ? ', or on battery'
          : ' (this browser does not tell pages whether it runs on battery, so it cannot pause for that)';
      if (view.fatal) message.textContent = view.fatal;
      // Start hides the question, Stop its own button: focus follows to the control that takes their place.
      if (
        document.hasFocus() &&
        focused instanceof HTMLElement &&
        focused !== document.body &&
        !focused.checkVisibility()
      )
        nextFocus().focus();
    },
  };
}
