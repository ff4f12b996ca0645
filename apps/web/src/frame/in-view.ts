// What the frame can see of itself. IntersectionObserver inside a cross-origin frame measures against the top
// page's viewport, so the frame learns it is out of view without asking the host (who could lie about it).
import type { VisibilitySource } from '@bricolage/runtime';
import type { PauseReason } from '../session/view';

/** Hidden when the page is, or, if the host asked for it, when the card is scrolled out of view. */
export class FrameVisibility implements VisibilitySource {
  readonly #pauseOffscreen: boolean;
  readonly #listeners = new Set<() => void>();
  #inView = true;

  constructor(pauseOffscreen: boolean) {
    this.#pauseOffscreen = pauseOffscreen;
    document.addEventListener('visibilitychange', this.#changed);
    if (pauseOffscreen)
      new IntersectionObserver((entries) => {
        const last = entries.at(-1);
        if (!last) return;
        this.#inView = last.isIntersecting;
        this.#changed();
      }).observe(document.documentElement);
  }

  hidden(): boolean {
    return this.reason() !== null;
  }

  reason(): PauseReason {
    if (document.visibilityState === 'hidden') return 'hidden';
    if (this.#pauseOffscreen && !this.#inView) return 'offscreen';
    return null;
  }

  subscribe(onChange: () => void): () => void {
    this.#listeners.add(onChange);
    return () => this.#listeners.delete(onChange);
  }

  readonly #changed = (): void => {
    for (const listener of this.#listeners) listener();
  };
}

/**
 * What the frame can tell of a button: shown whole, unobscured and untransformed (`seen`); not yet answered
 * (`checking`); cut off by the top page's viewport (`out-of-view`); whole in view but covered, faded or transformed by
 * the host's layout (`obscured`); or `unknown` where the browser cannot tell (no IntersectionObserver v2).
 */
export type Sight = 'seen' | 'checking' | 'out-of-view' | 'obscured' | 'unknown';

/** Only a button seen (or one the browser cannot judge) may be pressed: anything else could be a decoy's. */
export const mayPress = (sight: Sight): boolean => sight === 'seen' || sight === 'unknown';

/** An IntersectionObserver v2 entry's verdict. */
export function sightOf(entry: { readonly intersectionRatio: number; readonly isVisible?: boolean }): Sight {
  if (entry.intersectionRatio < 1) return 'out-of-view';
  return entry.isVisible === true ? 'seen' : 'obscured';
}

/**
 * Watches whether `element` is shown unobscured and untransformed (IntersectionObserver v2): a host page that
 * hides the frame under a decoy, or makes it transparent, to have the reader click Start unknowingly, is seen
 * doing so. Reports `unknown` where the browser cannot tell (no v2), and `checking` until its first answer.
 */
export function watchUnobscured(element: Element, onChange: (sight: Sight) => void): () => void {
  if (!('isVisible' in IntersectionObserverEntry.prototype)) {
    onChange('unknown');
    return () => undefined;
  }
  onChange('checking');
  const options = { threshold: [1], trackVisibility: true, delay: 100 } as IntersectionObserverInit;
  const observer = new IntersectionObserver((entries) => {
    const last = entries.at(-1) as (IntersectionObserverEntry & { isVisible?: boolean }) | undefined;
    if (last) onChange(sightOf(last));
  }, options);
  observer.observe(element);
  return () => observer.disconnect();
}
