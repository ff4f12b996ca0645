// Time and chance come in through here, so scheduling rules can be replayed exactly in tests.
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

/** A manual clock for tests: time moves only when told to. */
export class ManualClock implements Clock {
  constructor(private t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** Uniform [0, 1). Seeded (mulberry32) in tests; Math.random in production. */
export type Random = () => number;

export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
