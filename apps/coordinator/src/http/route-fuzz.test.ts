// Every route the API describes, sent seeded random hostile variations of its path, query, body and credentials:
// none may answer 5xx or log an internal error, and every refusal is the `{ error: { code, message } }` JSON the
// contract promises. The hostile tables (hostile-requests.test.ts) hold chosen cases to their exact answer; this
// reaches the combinations no one thought to write down. For a longer hunt: FUZZ_SEED=n FUZZ_N=1000 npx vitest run …
import { API, ErrorBody } from '@bricolage/protocol';
import { beforeAll, expect, it } from 'vitest';
import { ManualClock, seededRandom } from '../clock';
import { describeBackends } from '../testing/backends';
import { useGrid } from '../testing/grid-fixture';
import { GPU_CAPABILITIES } from '../testing/sim-volunteer';
import { CONFIG, type World, buildWorld, good, A, B } from './hostile/harness';
import { type Operation, operationsOf, variations } from './route-fuzz';

const PER_OPERATION = Number(process.env.FUZZ_N ?? 40);

describeBackends('every route under seeded random hostile requests', (backend) => {
  const clock = new ManualClock();
  const internalErrors: string[] = [];
  const grid = useGrid(backend, {
    name: 'fuzz',
    per: 'block',
    start: () => ({ clock, random: seededRandom(11), config: CONFIG, log: (m) => internalErrors.push(m) }),
  });
  let world: World;
  let operations: Operation[];
  let projects: string[];

  beforeAll(async () => {
    world = await buildWorld(grid.coordinator, clock);
    const doc = await (await fetch(world.url + API.openapi)).json();
    operations = operationsOf(doc);
    const mine = async (token: string) =>
      (
        (await (await fetch(world.url + API.myProject, { headers: { authorization: `Bearer ${token}` } })).json()) as {
          id: string;
        }
      ).id;
    projects = [await mine(world.token), await mine(world.foreignToken)];
  });

  it("finds the API document's operations", () => {
    // Guards the test itself: a document it could not read would leave nothing fuzzed and pass.
    expect(operations.length).toBeGreaterThanOrEqual(40);
  });

  it('answers no variation with a 5xx, and every refusal with the error JSON', async () => {
    const w = world;
    const pools = {
      job: [w.job, w.cancelledJob, w.foreignJob],
      project: projects,
      volunteer: [w.alice.key, w.stranger.publicKeyText],
      hash: [w.shader],
      token: {
        project: [w.token, w.foreignToken],
        volunteer: [w.alice.bearer, w.bob.bearer, w.expiredToken],
        operator: [grid.coordinator.operator.token],
      },
      // Bodies that pass the schema, for the mutations to start from where a sampled one would not get far.
      bodies: {
        [API.lease]: { capabilities: GPU_CAPABILITIES, max: 2, project: projects[0] },
        [API.submit]: { results: [good(A(w, 5)), good(B(w, 6))] },
        [API.heartbeat]: { leases: [A(w, 4).lease] },
        [API.release]: { leases: [B(w, 7).lease] },
      } as Record<string, unknown>,
    };
    const random = seededRandom(Number(process.env.FUZZ_SEED ?? 2026));
    const failures: string[] = [];
    for (const op of operations)
      for (const req of variations(op, pools, random, PER_OPERATION)) {
        const reply = await fetch(w.url + req.path, {
          method: req.method,
          headers: req.headers,
          body: req.body,
          redirect: 'manual',
          signal: AbortSignal.timeout(10_000),
        });
        // An event stream stays open: its status and headers are the answer.
        const stream = reply.headers.get('content-type')?.startsWith('text/event-stream') === true;
        if (stream) await reply.body?.cancel();
        const text = stream ? '' : await reply.text();
        const where = `${req.method} ${req.path.slice(0, 200)} → ${reply.status} ${text.slice(0, 200)}`;
        if (reply.status >= 500) failures.push(where);
        else if (reply.status >= 400) {
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          if (!ErrorBody.safeParse(body).success) failures.push(`not the error JSON: ${where}`);
        }
      }
    expect(failures).toEqual([]);
    expect(internalErrors).toEqual([]);
  }, 300_000);
});
