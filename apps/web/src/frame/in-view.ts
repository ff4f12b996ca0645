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
 * Watches whether `element` is shown unobscured and untransformed (IntersectionObserver v2): a host page that
 * hides the frame under a decoy, or makes it transparent, to have the reader click Start unknowingly, is seen
 * doing so. Reports null where the browser cannot tell (no v2), and `false` until its first answer.
 */
export function watchUnobscured(element: Element, onChange: (seen: boolean | null) => void): () => void {
  if (!('isVisible' in IntersectionObserverEntry.prototype)) {
    onChange(null);
    return () => undefined;
  }
  onChange(false);
  const options = { threshold: [1], trackVisibility: true, delay: 100 } as IntersectionObserverInit;
  const observer = new IntersectionObserver((entries) => {
    const last = entries.at(-1) as (IntersectionObserverEntry & { isVisible?: boolean }) | undefined;
    if (last) onChange(last.isVisible === true && last.intersectionRatio >= 1);
  }, options);
  observer.observe(element);
  return () => observer.disconnect();
}
