// Tabs of one browser share each grid's outbox (its IndexedDB database), and a tab's volunteer tells it only of its own
// deliveries: what one tab puts in an outbox, delivers, sets aside or retries, it says on a BroadcastChannel, naming
// the database, and every other tab counts that outbox again (`outbox.counts()`: one read, no result's bytes).
import type { VolunteerStore } from '@bricolage/receipts';

type StoreOutbox = VolunteerStore['outbox'];

const CHANNEL = 'bricolage outbox news';

/**
 * A computing tab changes its outbox many times a second: news is counted this long after the first of a burst, then
 * again this long after the first news heard since (at most one count in flight). Not after a quiet spell: beside a tab
 * that computes all the time, that would never come.
 */
const SETTLE_MS = 100;

/** One tab's news of one outbox: what it tells the others, and what it hears from them. */
export interface OutboxNews {
  /** A store's `outbox`, telling the other tabs of each change made through it once that is committed. */
  announcing(outbox: StoreOutbox): StoreOutbox;
  /** After the last change through `announcing` (a volunteer's close may still deliver): none is told after it. */
  close(): void;
}

/**
 * Tells the other tabs of this browser of the changes made through `announcing` to the outbox in `database`, and calls
 * `heard` (one call at a time) when another tab changed it. Open it before the outbox is first counted: nothing
 * changed after that count is then missed, by a tab that only reads too (it tells nothing, having changed nothing).
 *
 * Why no tab also counts on a timer (it once counted its leaving grids every 15 s for want of this): what can go
 * unheard is a write by a tab closed between its commit and its word, or by a tab still on the page's code from before
 * this news (a page kept in the back/forward cache, which hears nothing meanwhile, counts again when shown). That
 * leaves a count stale, and a leaving grid emptied so still listed (with its Forget), until the outbox changes again
 * or the page loads again: shown wrong, nothing lost or sent twice. A timer for the leaving grids alone would not have
 * made the others' counts true, and one for every outbox would count all day for what a reload mends.
 */
export function outboxNews(database: string, heard: () => Promise<unknown>): OutboxNews {
  // The browser has none (before Safari 15.4): each tab hears only of its own changes, as before.
  if (typeof BroadcastChannel === 'undefined') return { announcing: (outbox) => outbox, close: () => undefined };
  const channel = new BroadcastChannel(CHANNEL);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let counting = false;
  let again = false;
  let closed = false;
  const soon = () => {
    if (closed) return;
    if (counting) again = true;
    else timer ??= setTimeout(count, SETTLE_MS);
  };
  const count = async () => {
    timer = undefined;
    counting = true;
    try {
      await heard();
    } catch (error) {
      console.warn(`${database}: its outbox could not be counted`, error);
    } finally {
      counting = false;
      if (again) {
        again = false;
        soon();
      }
    }
  };
  channel.onmessage = (event) => event.data === database && soon();
  // A page kept in the back/forward cache hears nothing while it is there.
  const shown = (event: PageTransitionEvent) => event.persisted && soon();
  globalThis.addEventListener?.('pageshow', shown);
  const told =
    <A extends unknown[], R>(write: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const done = await write(...args);
      if (!closed) channel.postMessage(database);
      return done;
    };
  return {
    // A plain object of functions bound to their store: spread, they stay its own.
    announcing: (outbox) => ({
      ...outbox,
      put: told(outbox.put),
      putMany: told(outbox.putMany),
      remove: told(outbox.remove),
      setAside: told(outbox.setAside),
      retryAside: told(outbox.retryAside),
    }),
    close: () => {
      closed = true;
      clearTimeout(timer);
      globalThis.removeEventListener?.('pageshow', shown);
      channel.close();
    },
  };
}
