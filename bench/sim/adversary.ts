// `npm run sim:adversary [-- options]`: saboteurs, colluders, lazy volunteers, flakers, Sybils, error griefers
// and lease hoarders against each checking policy, on the model of the coordinator's store (bench/sim/model,
// the default: it runs the coordinator's rules for the policies that ship, and reaches 10^5 units in minutes)
// and, with --grid coordinator or both, on the real coordinator over HTTP where the policy ships (hours at the
// default scale). --without-retake runs the policies with the retake rule off, as before it shipped (policies.ts
// `retake`; on the model only), or name a policy NAME-no-retake to run it beside the plain one
// (NAME-retake-once: one retake per key and unit, the rule of 2026-12-04). Prints a table, or one JSON line (--json).
import { parseArgs } from 'node:util';
import { type RunResult, runScenario } from './engine';
import type { Grid } from './grid';
import { ModelGrid } from './model/model-grid';
import { POLICIES, type Policy, withoutRetake, withRetakeOnce } from './policies';
import { CoordinatorGrid } from './real-grid';
import { jsonLine, table } from './report';
import { DEFAULT_SCALE, type Scale, scenarios } from './scenarios';

const USAGE = `usage: npm run sim:adversary -- [--scenarios a,b] [--policies x,y] [--grid model|coordinator|both]
  [--volunteers N] [--units N] [--warmup N] [--seed N] [--without-retake] [--json]
scenarios: ${scenarios(DEFAULT_SCALE)
  .map((s) => s.name)
  .join(', ')}
policies: ${POLICIES.map((p) => p.name).join(', ')}; each also as NAME-no-retake (the retake rule off, model only)
  or NAME-retake-once (one retake per key and unit, as on 2026-12-04; model only)`;

const { values } = parseArgs({
  options: {
    scenarios: { type: 'string' },
    policies: { type: 'string' },
    grid: { type: 'string', default: 'model' },
    volunteers: { type: 'string', default: String(DEFAULT_SCALE.volunteers) },
    units: { type: 'string', default: String(DEFAULT_SCALE.units) },
    warmup: { type: 'string', default: String(DEFAULT_SCALE.warmup) },
    seed: { type: 'string', default: '1' },
    'without-retake': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const count = (name: string, text: string): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} must be a positive integer\n${USAGE}`);
    process.exit(2);
  }
  return n;
};
const scale: Scale = {
  volunteers: count('volunteers', values.volunteers),
  units: count('units', values.units),
  warmup: count('warmup', values.warmup),
};
const pick = <T extends { name: string }>(all: readonly T[], list: string | undefined, what: string): T[] => {
  if (!list) return [...all];
  return list.split(',').map((name) => {
    const found = all.find((x) => x.name === name.trim());
    if (!found) {
      console.error(`no ${what} ${name}\n${USAGE}`);
      process.exit(2);
    }
    return found;
  });
};
const chosenScenarios = pick(scenarios(scale), values.scenarios, 'scenario');
const chosenPolicies = (
  values.policies
    ? pick([...POLICIES, ...POLICIES.map(withoutRetake), ...POLICIES.map(withRetakeOnce)], values.policies, 'policy')
    : [...POLICIES]
).map((p) => (values['without-retake'] && p.retake ? withoutRetake(p) : p));
if (!['both', 'coordinator', 'model'].includes(values.grid)) {
  console.error(`--grid must be both, coordinator or model\n${USAGE}`);
  process.exit(2);
}
const seed = count('seed', values.seed);

const grids = (policy: Policy): (() => Promise<Grid>)[] => [
  ...(values.grid !== 'model' && policy.shipped ? [() => CoordinatorGrid.start(policy, seed)] : []),
  ...(values.grid !== 'coordinator' ? [async () => new ModelGrid(policy, seed)] : []),
];

const results: RunResult[] = [];
for (const scenario of chosenScenarios)
  for (const policy of chosenPolicies)
    for (const open of grids(policy)) {
      const started = performance.now();
      const grid = await open();
      try {
        const result = await runScenario({ scenario, policy, grid, scale, seed });
        results.push(result);
        if (!values.json)
          console.error(
            `${scenario.name} / ${policy.name} on the ${grid.kind}: ${result.wrong} wrong of ${result.validated} validated, ` +
              `${result.results_per_validated.toFixed(2)} results each (${((performance.now() - started) / 1000).toFixed(1)} s)`,
          );
      } finally {
        await grid.close();
      }
    }

if (values.json) console.log(jsonLine(results));
else {
  console.log(
    `\n${scale.volunteers} volunteers, ${scale.units} units per measured job, ${scale.warmup} results each in a warm-up; seed ${seed}`,
  );
  for (const s of chosenScenarios)
    if (s.volunteers || s.units)
      console.log(
        `${s.name}: ${s.volunteers ?? scale.volunteers} volunteers, ${s.units ?? scale.units} units, its own`,
      );
  console.log(
    '"model": a model of the coordinator\'s store running the same rules (those it ships, or proposed ones: policies.ts)\n',
  );
  console.log(table(results));
}
