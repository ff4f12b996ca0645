// The adversary simulation's smoke run, part of `npm test`: a few seconds of the real coordinator over HTTP
// and of the model, small enough to stay cheap, large enough that the audit's findings show.
import { describe, expect, it } from 'vitest';
import { runScenario } from './engine';
import type { Grid } from './grid';
import { ModelGrid } from './model/model-grid';
import { POLICIES, type Policy, withoutRetake, withRetakeOnce } from './policies';
import { CoordinatorGrid } from './real-grid';
import { jsonLine } from './report';
import { scenarios } from './scenarios';

const scale = { volunteers: 40, units: 120, warmup: 20 };
const policy = (name: string) => POLICIES.find((p) => p.name === name) as Policy;
const scenario = (name: string) => scenarios(scale).find((s) => s.name === name)!;

async function run(name: string, p: Policy, grid: Grid) {
  try {
    return await runScenario({ scenario: scenario(name), policy: p, grid, scale, seed: 7 });
  } finally {
    await grid.close();
  }
}

describe('adversary simulation', () => {
  it('lets fewer colluders leasing back to back through on the real coordinator than units in id order did', async () => {
    const real = await run('colluders', policy('quorum-2'), await CoordinatorGrid.start(policy('quorum-2'), 7));
    expect(real.grid).toBe('coordinator');
    expect(real.validated).toBe(scale.units);
    // In id order (the leasing the audit measured) every unit the first colluder leases, the second leases
    // too; drawn at random they meet on a unit only by chance (quorum 2 alone lets those through).
    const before = await run('colluders', policy('id-order'), new ModelGrid(policy('id-order'), 7));
    expect(before.wrong).toBeGreaterThan(real.wrong);
  });

  it('costs on the model what it costs on the real coordinator, for the policies the coordinator runs', async () => {
    // The model runs the coordinator's rules so that it can take the figures where HTTP cannot (10^5 units);
    // held against the coordinator on the same scenario, its cost per unit must agree.
    for (const name of ['quorum-2', 'adaptive']) {
      const real = await run('cold', policy(name), await CoordinatorGrid.start(policy(name), 7));
      const model = await run('cold', policy(name), new ModelGrid(policy(name), 7));
      expect(model.validated).toBe(real.validated);
      expect(Math.abs(model.results_per_validated - real.results_per_validated)).toBeLessThan(0.15);
    }
  });

  it('costs exactly two results per unit on the real coordinator when everyone is honest', async () => {
    const real = await run('cold', policy('quorum-2'), await CoordinatorGrid.start(policy('quorum-2'), 7));
    expect(real.wrong).toBe(0);
    expect(real.failed).toBe(0);
    expect(real.results_per_validated).toBe(2);
    expect(real.minutes).not.toBeNull();
  });

  it('keeps the colluders out under the phase-2 rules (on the model)', async () => {
    const hardened = await run('colluders', policy('hardened'), new ModelGrid(policy('hardened'), 7));
    expect(hardened.validated).toBe(scale.units);
    expect(hardened.wrong).toBe(0);
  });

  it('finishes a small flaky grid with retakes that wait longer each time, where none or one leave it stalled', async () => {
    // Four flakers: a unit is stuck once fewer than two of them returned a result for it, which each does with
    // probability 1/2 without retakes (5 units in 16 stuck), 3/4 with one retake (13 in 256): not none, so still a
    // stall; with up to four, 31/32 (about 1 in 8,000).
    const left = (r: { units: number; validated: number; failed: number }) => r.units - r.validated - r.failed;
    const before = withoutRetake(policy('quorum-2'));
    const once = withRetakeOnce(policy('quorum-2'));
    const none = await run('small flaky grid', before, new ModelGrid(before, 7));
    const one = await run('small flaky grid', once, new ModelGrid(once, 7));
    const retaking = await run('small flaky grid', policy('quorum-2'), new ModelGrid(policy('quorum-2'), 7));
    expect(none.minutes).toBeNull();
    expect(left(none)).toBeGreaterThan(0.2 * none.units);
    expect(one.minutes).toBeNull();
    expect(left(one)).toBeLessThan(left(none) / 3);
    expect(retaking.minutes).not.toBeNull();
    expect(left(retaking)).toBe(0);
    expect(retaking.wrong).toBe(0);
  });

  it('prints one JSON line with the figures the issue asks for', async () => {
    const result = await run('cold', policy('hardened'), new ModelGrid(policy('hardened'), 7));
    const line = JSON.parse(jsonLine([result])) as { scenarios: Record<string, unknown>[] };
    expect(line.scenarios[0]).toMatchObject({
      scenario: 'cold',
      policy: 'hardened',
      grid: 'model',
      accepted_error_rate: 0,
      units: scale.units,
    });
    expect(line.scenarios[0]?.results_per_validated).toBeGreaterThanOrEqual(2);
  });
});
