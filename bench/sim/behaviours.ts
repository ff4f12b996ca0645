// How each kind of simulated volunteer answers a lease. The job is "square each u32" (the coordinator's test
// fixture): correct answers are cheap to compute and to check, so the simulation measures the grid, not the
// kernel. Adversaries follow the audit of issue 17.
import { square } from '../../apps/coordinator/src/testing/fixtures';
import type { Random } from '../../apps/coordinator/src/clock';
import type { LeasedUnit, Member } from './grid';

export const ROLES = [
  'honest',
  /** Wrong at random, `sabotageRate` of the time, each wrong answer its own. */
  'saboteur',
  /** A cabal: the same wrong answer for the same unit, its members leasing back to back. */
  'colluder',
  /** Returns a constant, or replays its previous output, instead of computing. */
  'lazy',
  /** Abandons half of its leases, returning nothing for them; computes the rest. */
  'flaker',
  /**
   * Many keys from one address, a cabal that farms trust without computing: its members return the same
   * made-up answer and, leasing back to back, validate each other.
   */
  'sybil',
  /** Honest through the warm-up (its trust earned by real work), then a cabal. */
  'defector',
  /** Answers every lease with an error result at once, and leases as much as it may. */
  'griefer',
  /** Leases as much as it may and keeps it with heartbeats, never returning anything. */
  'hoarder',
  /**
   * A give-back hoarder: leases as much as it may, keeps it with heartbeats, gives each lease back just before it
   * would run out and leases again at once, never returning anything.
   */
  'returner',
] as const;
export type Role = (typeof ROLES)[number];

/** What a cabal (colluders, or Sybils) shares among its members. */
export class Cabal {
  /** Inputs the cabal has seen, with the unit each came with: the same input under another unit is a copy. */
  private readonly seen = new Map<string, string>();
  /** Defectors cheat only once their trust is earned; the others always do. */
  defecting: boolean;

  constructor(defecting: boolean) {
    this.defecting = defecting;
  }

  /**
   * Whether `unit` may be a known-answer unit: its input came with another unit before. Known-answer units
   * that are copies of ordinary units' inputs (`probes: 'copies'`) give themselves away so, to a cabal that sees
   * a great many units; fresh ones do not.
   */
  suspects(unit: LeasedUnit): boolean {
    const key = Buffer.from(unit.input).toString('base64');
    const before = this.seen.get(key);
    if (before === undefined) this.seen.set(key, unit.unit);
    return before !== undefined && before !== unit.unit;
  }
}

/** The cabal's wrong answer: the same bytes from every member, different from the right one. */
export function cabalAnswer(input: Uint8Array): Uint8Array {
  return square(input).map((b) => b ^ 0xa5);
}

export interface SimVolunteer {
  readonly index: number;
  readonly role: Role;
  readonly address: string;
  /** Units it computes per round. */
  readonly speed: number;
  readonly cabal: Cabal | null;
  /** For `lazy`: a constant, or a replay of its previous output. */
  readonly lazyMode: 'constant' | 'replay';
  member: Member | null;
  /** Leases it keeps (hoarders, give-back hoarders). */
  held: string[];
  last: Uint8Array | null;
  /** The round before which it does not ask again (it was told there was no work). */
  idleUntil: number;
  idleRounds: number;
}

export type Answer = { readonly kind: 'ok'; readonly output: Uint8Array } | { readonly kind: 'error' | 'abandon' };

/** The answer of `v` for one leased unit. */
export function answer(v: SimVolunteer, unit: LeasedUnit, sabotageRate: number, random: Random): Answer {
  const ok = (output: Uint8Array): Answer => ({ kind: 'ok', output });
  switch (v.role) {
    case 'honest':
      return ok(square(unit.input));
    case 'saboteur':
      return ok(random() < sabotageRate ? randomBytes(unit.input.length, random) : square(unit.input));
    case 'colluder':
    case 'sybil':
    case 'defector': {
      const cabal = v.cabal as Cabal;
      // A copy may be a known answer: answered right, so that the cabal is not caught on it.
      if (cabal.suspects(unit) || !cabal.defecting) return ok(square(unit.input));
      return ok(cabalAnswer(unit.input));
    }
    case 'lazy': {
      if (v.lazyMode === 'constant') return ok(new Uint8Array(unit.input.length));
      const output = v.last ?? square(unit.input);
      v.last = output;
      return ok(output);
    }
    case 'flaker':
      return random() < 0.5 ? { kind: 'abandon' } : ok(square(unit.input));
    case 'hoarder':
    case 'returner':
      return { kind: 'abandon' };
    case 'griefer':
      return { kind: 'error' };
  }
}

function randomBytes(n: number, random: Random): Uint8Array {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}
