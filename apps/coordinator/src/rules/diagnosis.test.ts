import type { Capabilities, JobSpec, WorkUnitCounts } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { GPU_CAPABILITIES } from '../testing/sim-volunteer';
import type { SeenVolunteer } from '../volunteers/recent';
import { type DiagnosisFacts, diagnose, needsWorkCheck } from './diagnosis';

const H = 'a'.repeat(64) as never;
const spec: JobSpec = {
  kind: 'wgsl',
  shader: H,
  entryPoint: 'main',
  bindings: [{ binding: 0, name: 'y', type: 'read_write', role: 'output', size: 4 }],
  dispatch: [1, 1, 1],
  forbidNaN: false,
};
const cpuOnly: Capabilities = { ...GPU_CAPABILITIES, webgpu: null, backends: { wgsl: 'wasm', onnx: 'onnx-wasm' } };
const seen = (
  key: string,
  capabilities: Capabilities,
  project: string | null = null,
  shutOut: SeenVolunteer['shutOut'] = null,
): SeenVolunteer => ({ key, capabilities, project, seenAt: 0, shutOut });
const counts = (c: Partial<WorkUnitCounts>): WorkUnitCounts => ({
  unsent: 0,
  in_progress: 0,
  validated: 0,
  failed: 0,
  cancelled: 0,
  ...c,
});
const facts = (f: Partial<DiagnosisFacts>): DiagnosisFacts => ({
  state: 'active',
  spec,
  project: 'prj_a',
  minQuorum: 2,
  counts: counts({ unsent: 10 }),
  wanting: 10,
  online: [seen('g', GPU_CAPABILITIES)],
  windowMinutes: 5,
  anyEligibleHasWork: true,
  ...f,
});

describe('diagnose', () => {
  it('tells the researcher of known answers found suspect, whatever the job is doing', () => {
    const running = diagnose(facts({ counts: counts({ unsent: 8, in_progress: 2 }), suspectAnswers: 2 }));
    expect(running.code).toBe('running');
    expect(running.why).toMatch(/^running: .*; 2 known answers found suspect \(volunteers of several networks/);
    expect(running.why).toContain('check the expected outputs you gave');
    // Among the failed, as in the results.
    const done = diagnose(
      facts({ state: 'completed', counts: counts({ validated: 9, failed: 1 }), suspectAnswers: 1 }),
    );
    expect(done.why).toMatch(/^completed: 9 validated, 1 failed; 1 known answer found suspect/);
    expect(diagnose(facts({ counts: counts({ unsent: 8, in_progress: 2 }), suspectAnswers: 0 })).why).not.toContain(
      'suspect',
    );
  });

  it('does not call a job of known answers alone completed when they are found suspect: they finish no job', () => {
    const only = diagnose(facts({ counts: counts({ failed: 1 }), wanting: 0, suspectAnswers: 1 }));
    expect(only.code).toBe('no_work_units');
    expect(only.why).toMatch(/^no work units: add some to the job; 1 known answer found suspect/);
  });

  it('says a job with eligible volunteers and work for them is running', () => {
    expect(diagnose(facts({ counts: counts({ unsent: 8, in_progress: 2 }) }))).toEqual({
      code: 'running',
      stalled: false,
      why: 'running: 1 of 1 connected volunteers can run it',
      volunteers: { connected: 1, eligible: 1 },
    });
  });

  it('says queued, not running, while none of its units is out: the volunteers may be busy with other jobs', () => {
    expect(diagnose(facts({}))).toEqual({
      code: 'queued',
      stalled: false,
      why: "queued: 10 work units wait and none is leased yet; the eligible volunteer online leases them as it asks for work, other jobs' units perhaps first",
      volunteers: { connected: 1, eligible: 1 },
    });
    const online = [seen('a', GPU_CAPABILITIES), seen('b', GPU_CAPABILITIES)];
    const later = counts({ unsent: 4, validated: 6 });
    expect(diagnose(facts({ online, counts: later, wanting: 4 }))).toMatchObject({
      code: 'queued',
      why: "queued: 4 work units wait and none is leased yet; the 2 eligible volunteers online lease them as they ask for work, other jobs' units perhaps first",
    });
  });

  it('names how many volunteers are connected and why none can run the job', () => {
    const online = [seen('a', cpuOnly), seen('b', cpuOnly), seen('c', cpuOnly), seen('d', GPU_CAPABILITIES, 'prj_b')];
    expect(diagnose(facts({ online }))).toEqual({
      code: 'no_eligible_volunteer',
      stalled: true,
      why: "no eligible volunteer online: 4 connected, 0 can run this job's WGSL (3: the job has no wasm twin, and the device has no WebGPU)",
      volunteers: { connected: 4, eligible: 0 },
    });
  });

  it('does not count volunteers whose own standing keeps them from leasing as able to run it', () => {
    const online = [
      seen('a', GPU_CAPABILITIES, null, { why: 'errors', until: 3_600_000 }),
      seen('b', GPU_CAPABILITIES, null, { why: 'errors', until: 3_600_000 }),
      seen('c', GPU_CAPABILITIES, null, { why: 'not_voting' }),
    ];
    expect(diagnose(facts({ online, counts: counts({ unsent: 2, in_progress: 8 }) }))).toEqual({
      code: 'no_eligible_volunteer',
      stalled: true,
      why: "no eligible volunteer online: 3 connected, 0 can run this job's WGSL (2: returned too many errors: no leases for up to an hour)",
      volunteers: { connected: 3, eligible: 0 },
    });
    expect(
      diagnose(facts({ online: [...online, seen('d', GPU_CAPABILITIES)], counts: counts({ in_progress: 10 }) })),
    ).toMatchObject({
      code: 'running',
      why: 'running: 1 of 4 connected volunteers can run it',
    });
  });

  it('says when nobody is online at all', () => {
    expect(diagnose(facts({ online: [] }))).toMatchObject({
      code: 'no_volunteers',
      stalled: true,
      why: 'no volunteer online: none has been heard from in the last 5 minutes',
    });
  });

  it('waits for results, not volunteers, when every unit that wants a replica has one out', () => {
    expect(diagnose(facts({ counts: counts({ in_progress: 4, validated: 6 }), wanting: 0, online: [] }))).toMatchObject(
      {
        code: 'waiting_for_results',
        stalled: false,
        why: 'all units leased, waiting for results: 4 work units in progress',
      },
    );
  });

  it('says when the eligible volunteers online have already done their part of every unit', () => {
    expect(
      diagnose(facts({ counts: counts({ in_progress: 3 }), wanting: 3, anyEligibleHasWork: false })),
    ).toMatchObject({
      code: 'waiting_for_volunteers',
      stalled: true,
      why: '3 work units wait for more volunteers: each needs 2 distinct volunteers to agree, and the eligible volunteers online (1) already hold or returned them',
    });
  });

  it('says the units wait for a volunteer to retake one it gave back, and when the first may: not stalled', () => {
    const waiting = (ms: number | null) =>
      diagnose(
        facts({
          counts: counts({ unsent: 2, in_progress: 1 }),
          wanting: 3,
          anyEligibleHasWork: false,
          retakeOpensInMs: ms,
        }),
      );
    expect(waiting(90_000)).toEqual({
      code: 'waiting_for_retake',
      stalled: false,
      why: '3 work units wait: the eligible volunteers online (1) hold or returned every unit that wants one, and one of them may retake a unit it gave back or let run out in 2 minutes (each retake waits longer); any other volunteer may take one now',
      volunteers: { connected: 1, eligible: 1 },
    });
    expect(waiting(1).why).toContain(' in 1 minute ');
    expect(waiting(119 * 60_000).why).toContain(' in 119 minutes ');
    // A retake may wait 8 lease periods: of a day-long lease, in hours.
    expect(waiting(8 * 24 * 3_600_000).why).toContain(' in 192 hours ');
    // None may retake any: only another volunteer can take them.
    expect(waiting(null)).toMatchObject({ code: 'waiting_for_volunteers', stalled: true });
  });

  it('reports paused, empty, completed and cancelled jobs for what they are', () => {
    expect(diagnose(facts({ state: 'paused' }))).toMatchObject({
      code: 'paused',
      stalled: true,
      why: 'paused: 10 work units wait; resume the job to lease them',
    });
    expect(diagnose(facts({ counts: counts({}), wanting: 0 }))).toMatchObject({ code: 'no_work_units', stalled: true });
    const done = counts({ validated: 9, failed: 1 });
    expect(diagnose(facts({ state: 'completed', counts: done, wanting: 0 }))).toMatchObject({
      code: 'completed',
      stalled: false,
      why: 'completed: 9 validated, 1 failed',
    });
    expect(diagnose(facts({ state: 'cancelled', counts: counts({ validated: 2, cancelled: 8 }) }))).toMatchObject({
      code: 'cancelled',
      stalled: false,
    });
  });

  it('asks the store about the eligible volunteers only for an active job with units wanting replicas', () => {
    expect(needsWorkCheck('active', 3, 1)).toBe(true);
    expect(needsWorkCheck('paused', 3, 1)).toBe(false);
    expect(needsWorkCheck('active', 0, 1)).toBe(false);
    expect(needsWorkCheck('active', 3, 0)).toBe(false);
  });
});
