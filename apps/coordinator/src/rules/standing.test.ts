import { describe, expect, it } from 'vitest';
import { seededRandom } from '../clock';
import { DEFAULT_TRUST } from './reputation';
import { fold, foldMore, newStanding, type StandingEvent, startFolding } from './standing';

const EVENTS: readonly StandingEvent[] = [
  { kind: 'valid', probe: false, trust: DEFAULT_TRUST },
  { kind: 'valid', probe: true, trust: DEFAULT_TRUST },
  { kind: 'invalid', trust: DEFAULT_TRUST },
  { kind: 'known_answer_failed', trust: DEFAULT_TRUST },
  { kind: 'error' },
  { kind: 'expired' },
];

/** `n` events drawn mostly valid, as a batch of an honest-ish key's verdicts would be. */
function draw(random: () => number, n: number): StandingEvent[] {
  return Array.from({ length: n }, () => {
    const r = random();
    return EVENTS[r < 0.8 ? (r < 0.7 ? 0 : 1) : 2 + Math.floor(((r - 0.8) / 0.2) * 4)] as StandingEvent;
  });
}

describe('standing', () => {
  it('folds events one verdict at a time to what folding them all at once gives', () => {
    const random = seededRandom(16);
    for (let trial = 0; trial < 200; trial++) {
      const now = 1_000_000 + trial * 7919;
      const start = newStanding(now - 60_000);
      const events = draw(random, 1 + Math.floor(random() * 120));
      let folding = startFolding(start);
      let at = 0;
      while (at < events.length) {
        const step = 1 + Math.floor(random() * 4);
        folding = foldMore(folding, events.slice(at, at + step), now);
        at += step;
        const whole = fold(start, events.slice(0, Math.min(at, events.length)), now);
        expect(folding.standing).toEqual(whole.standing);
        expect(folding.errorCountsForUnit).toBe(whole.errorCountsForUnit);
        expect(folding.recheckSince).toBe(whole.recheckSince);
        expect(folding.silenced).toBe(whole.silenced);
      }
    }
  });

  it('says a key was silenced only when it voted before the events and does not after', () => {
    const now = 5_000_000;
    const failed: StandingEvent = { kind: 'known_answer_failed', trust: DEFAULT_TRUST };
    const once = foldMore(startFolding(newStanding(now)), [failed], now);
    expect(once.silenced).toBe(true);
    // Folding more onto a silenced key keeps saying so (the events since the start silenced it) …
    expect(foldMore(once, [{ kind: 'valid', probe: false, trust: DEFAULT_TRUST }], now).silenced).toBe(true);
    // … but a fold starting from the silenced standing did not silence it.
    expect(fold(once.standing, [failed], now).silenced).toBe(false);
  });
});
