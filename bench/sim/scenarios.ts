// The default scenarios of `npm run sim:adversary`: who the volunteers are, how many units the measured job
// has, and whether the grid is cold or has a history (a warm-up job before the measured one, in which trust is
// earned — and farmed).
import type { Role } from './behaviours';

export interface Scenario {
  readonly name: string;
  /** One line for the report. */
  readonly about: string;
  /** Fractions of the volunteers by role; the rest are honest. */
  readonly mix: Partial<Record<Role, number>>;
  /** Results each volunteer returns in the warm-up job before the measured one; 0: a cold grid. */
  readonly warmup: number;
  /** Saboteurs are wrong this often. */
  readonly sabotageRate: number;
  /** Sybils, hoarders and griefers each come from one address (the attacker's); others have one each. */
  readonly oneAddress: readonly Role[];
  /** Keys the attacker tries to bring from its one address, when that is a count rather than a fraction. */
  readonly attackerKeys?: number;
  /** An honest volunteer arrives in this round of the measured job and asks for work once. */
  readonly newcomerRound?: number;
  /** Volunteers and units of the measured job, when the scenario is about a grid of its own size, not the scale's. */
  readonly volunteers?: number;
  readonly units?: number;
}

export interface Scale {
  readonly volunteers: number;
  /** Units of the measured job. */
  readonly units: number;
  /** Results per volunteer in the warm-up of scenarios with a history. */
  readonly warmup: number;
}

export const DEFAULT_SCALE: Scale = { volunteers: 1000, units: 10_000, warmup: 100 };

/**
 * A grid of few keys whose leases run out (a lab's few machines, tabs closed, laptops asleep): every replica ties
 * its key to its unit, so a unit can be left that no key present may take, whatever the scale's figures.
 */
const SMALL_GRID = { volunteers: 4, units: 300 } as const;

/** The scenarios at a scale; `only` picks some by name. */
export function scenarios(scale: Scale): Scenario[] {
  const w = scale.warmup;
  return [
    { name: 'cold', about: 'honest volunteers, a fresh grid', mix: {}, warmup: 0, sabotageRate: 0, oneAddress: [] },
    {
      name: 'trusted',
      about: `honest volunteers with ${w} results each behind them`,
      mix: {},
      warmup: w,
      sabotageRate: 0,
      oneAddress: [],
    },
    {
      name: 'saboteurs',
      about: '20 % random saboteurs, wrong 10 % of the time, in a grid with a history',
      mix: { saboteur: 0.2 },
      warmup: w,
      sabotageRate: 0.1,
      oneAddress: [],
    },
    {
      name: 'colluders',
      about: '10 % colluders: one wrong answer per unit, leasing back to back, known answers dodged',
      mix: { colluder: 0.1 },
      warmup: w,
      sabotageRate: 0,
      oneAddress: [],
    },
    {
      name: 'lazy',
      about: '10 % lazy volunteers: half return zeros, half replay their previous output',
      mix: { lazy: 0.1 },
      warmup: w,
      sabotageRate: 0,
      oneAddress: [],
    },
    {
      name: 'flakers',
      about: '20 % flakers that abandon half of their leases, a fresh grid',
      mix: { flaker: 0.2 },
      warmup: 0,
      sabotageRate: 0,
      oneAddress: [],
    },
    {
      name: 'sybils',
      about: 'one address brings 10 % of the keys, farming trust by agreeing with itself, never computing',
      mix: { sybil: 0.1 },
      warmup: w,
      sabotageRate: 0,
      oneAddress: ['sybil'],
    },
    {
      name: 'defectors',
      about: '10 % of the keys compute honestly through the warm-up, then cheat as a cabal',
      mix: { defector: 0.1 },
      warmup: w,
      sabotageRate: 0,
      oneAddress: [],
    },
    {
      name: 'griefers',
      about: '20 % of the keys answer every lease with an error, a fresh grid',
      mix: { griefer: 0.2 },
      warmup: 0,
      sabotageRate: 0,
      oneAddress: [],
    },
    {
      name: 'hoarders',
      about: 'keys of one address lease all they may and keep it; a newcomer asks in round 2',
      mix: {},
      // Enough keys to hold every unit at 256 leases a key (the per-key cap; what the audit's ten held of the
      // demo's 1,000), were it not for the lease room's ramp and per-address ceiling.
      attackerKeys: Math.max(10, Math.ceil(scale.units / 256)),
      warmup: 0,
      sabotageRate: 0,
      oneAddress: ['hoarder'],
      newcomerRound: 2,
    },
    {
      name: 'give-back hoarders',
      about:
        'keys of one address lease all they may, give each back before it runs out and lease again; a newcomer in round 2',
      mix: {},
      attackerKeys: Math.max(10, Math.ceil(scale.units / 256)),
      warmup: 0,
      sabotageRate: 0,
      oneAddress: ['returner'],
      newcomerRound: 2,
    },
    {
      name: 'small flaky grid',
      about: `${SMALL_GRID.volunteers} keys, each its own address, all flakers abandoning half their leases; ${SMALL_GRID.units} units`,
      mix: { flaker: 1 },
      warmup: 0,
      sabotageRate: 0,
      oneAddress: [],
      ...SMALL_GRID,
    },
  ];
}
