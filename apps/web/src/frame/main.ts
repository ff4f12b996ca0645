// Entry point of the widget's frame (/widget/frame?project=&host=): checks where it is, then composes the
// volunteer session's modules around the reader's consent for this site, and talks to its host page.
// First, as in the volunteer page: zod must never try eval under the frame's policy (see protocol/jitless), and
// being imported by both entries puts it at the head of the chunk they share.
import '@bricolage/protocol/jitless';
import { placement } from './placement';
import { drawCard } from './card';
import { FrameSession } from './frame-session';
import { HostLink } from './host-link';
import { FrameVisibility, watchUnobscured } from './in-view';
import { download } from '../format';
import './frame.css';

performance.mark('bricolage:script');
const root = document.getElementById('frame') as HTMLElement;
const place = placement(
  location.href,
  window.parent !== window,
  location.ancestorOrigins ? [...location.ancestorOrigins] : null,
);

if (!place.ok) {
  root.textContent = place.reason;
} else {
  const base = location.origin;
  const session = new FrameSession({ base, ...place, visibility: new FrameVisibility(place.pauseOffscreen) });
  const link = new HostLink(place.host, (command) => {
    if (command.type === 'bricolage:get-status') link.send(session.status());
    else session.command(command);
  });
  session.onRefused((command, reason) => link.send({ type: 'bricolage:refused', command, reason }));

  // The card obeys a Start only while it is shown unobscured (watchUnobscured below): a host page could otherwise
  // have the reader press one unknowingly.
  const card = drawCard(
    root,
    { ...place, base },
    {
      consent: () => void session.consent(),
      decline: () => session.decline(),
      stop: () => void session.stopByReader(),
      start: () => void session.startByReader(),
      revoke: () => {
        // Marks for the browser's performance tools (and the revoke test): how long withdrawing took here.
        performance.mark('bricolage:revoke');
        void session.revoke().then(() => performance.mark('bricolage:revoked'));
      },
      setThrottle: (percent) => void session.setThrottle(percent),
      saveReceipts: () =>
        void session.exportReceipts().then((file) => {
          if (file) download(file.name, file.text);
          else card.say('No receipts yet: they come once the first results are validated.');
        }),
    },
  );
  watchUnobscured(card.startButton, (sight) => card.setStartable(sight));
  watchUnobscured(card.againButton, (sight) => card.setAgainStartable(sight));

  // The host hears of every change of state or counts, and of the height the content needs.
  let sent = '';
  session.model.subscribe(() => {
    const view = session.model.view();
    const status = session.status(view);
    card.update(view, status, session.persistent);
    const text = JSON.stringify(status);
    if (text !== sent) {
      sent = text;
      link.send(status);
    }
  });
  let height = 0;
  new ResizeObserver(() => {
    const needed = Math.ceil(document.documentElement.scrollHeight);
    if (needed === height) return;
    height = needed;
    link.send({ type: 'bricolage:resize', height });
  }).observe(document.body);

  session.boot().catch((error: Error) => console.error('the widget failed to start', error));
}
