// A job's lifecycle over real HTTP: it completes in the transaction that finishes its last work unit,
// says so on its event stream, reopens when work is added, and says why when it cannot progress.
import { API, type JobDiagnosis, type JobProgress, type ProjectStatus } from '@bricolage/protocol';
import { expect, it } from 'vitest';
import { ManualClock, seededRandom } from './clock';
import { describeBackends } from './testing/backends';
import { square } from './testing/fixtures';
import { useGrid } from './testing/grid-fixture';
import { errorResult, GPU_CAPABILITIES, SimVolunteer } from './testing/sim-volunteer';

const single = { minQuorum: 1, maxTotalResults: 2, maxErrorResults: 0, homogeneous: false };
const cpuOnly = { ...GPU_CAPABILITIES, webgpu: null, backends: { wgsl: 'wasm' as const, onnx: 'onnx-wasm' as const } };

/** Reads an SSE stream's events until `until` says stop; returns them as [event, data]. */
async function readEvents(
  url: string,
  token: string,
  until: (events: [string, JobProgress][]) => boolean,
): Promise<[string, JobProgress][]> {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const events: [string, JobProgress][] = [];
  let text = '';
  try {
    while (!until(events)) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      let end = text.indexOf('\n\n');
      while (end >= 0) {
        const block = text.slice(0, end);
        text = text.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push([event, JSON.parse(data) as JobProgress]);
        end = text.indexOf('\n\n');
      }
    }
  } finally {
    controller.abort();
  }
  return events;
}

describeBackends('job lifecycle', (backend) => {
  let clock: ManualClock;
  const grid = useGrid(backend, {
    name: 'lifecycle',
    start: () => {
      clock = new ManualClock();
      return { clock, random: seededRandom(7), project: 'lifecycle' };
    },
  });

  const jobState = async (job: string) =>
    ((await (await grid.researcher.request('GET', API.job(job))).json()) as { job: { state: string } }).job.state;
  const diagnosis = async (job: string) =>
    ((await (await grid.researcher.request('GET', API.job(job))).json()) as { progress: JobProgress }).progress
      .diagnosis;

  it('completes in the transaction that validates the last unit, with a completed event, and reopens on new work', async () => {
    const job = await grid.researcher.createSquareJob({ redundancy: single });
    await grid.researcher.addSquares(job, 1, 2, 1); // and a known-answer unit, which never holds the job open
    const events = readEvents(grid.coordinator.url + API.events(job), grid.researcher.token, (e) =>
      e.some(([name]) => name === 'completed'),
    );
    const v = await SimVolunteer.create(grid.coordinator.url);
    const first = await v.lease(1);
    await v.computeAndSubmit(first.leases, square);
    expect(await jobState(job)).toBe('active');
    const second = await v.lease(10);
    await v.computeAndSubmit(second.leases, square);
    expect(await jobState(job)).toBe('completed');
    const seen = await events;
    expect(seen.at(-1)?.[0]).toBe('completed');
    expect(seen.at(-1)?.[1]).toMatchObject({ state: 'completed', counts: { validated: 2 } });
    expect(seen.at(-2)).toEqual(['progress', seen.at(-1)?.[1]]);
    expect(await diagnosis(job)).toMatchObject({ code: 'completed', why: 'completed: 2 validated, 0 failed' });

    // More work reopens it; finishing that completes it again.
    await grid.researcher.addSquares(job, 10, 1);
    expect(await jobState(job)).toBe('active');
    const third = await v.lease(10);
    expect(third.leases).toHaveLength(1);
    await v.computeAndSubmit(third.leases, square);
    expect(await jobState(job)).toBe('completed');
  });

  it('completes when its last unit fails, including by a lease that expired', async () => {
    const job = await grid.researcher.createSquareJob({ redundancy: single, leaseSeconds: 5 });
    await grid.researcher.addSquares(job, 1, 1);
    const v = await SimVolunteer.create(grid.coordinator.url);
    expect((await v.lease(1)).leases).toHaveLength(1);
    clock.advance(6000);
    await grid.coordinator.sweep();
    expect(await grid.researcher.progress(job)).toMatchObject({ counts: { failed: 1 } });
    expect(await jobState(job)).toBe('completed');
  });

  it('leaves a paused job paused when its last unit finishes, and completes it on resume', async () => {
    const job = await grid.researcher.createSquareJob({ redundancy: single });
    await grid.researcher.addSquares(job, 1, 1);
    const v = await SimVolunteer.create(grid.coordinator.url);
    const leased = await v.lease(1);
    expect((await grid.researcher.request('POST', API.pause(job))).status).toBe(200);
    await v.computeAndSubmit(leased.leases, square);
    expect(await jobState(job)).toBe('paused');
    const resumed = await grid.researcher.request('POST', API.resume(job));
    expect(((await resumed.json()) as { state: string }).state).toBe('completed');
    const pause = await grid.researcher.request('POST', API.pause(job));
    expect(pause.status).toBe(409);
    expect(((await pause.json()) as { error: { code: string } }).error.code).toBe('conflict');
  });

  it('says why a job does not progress, on the job and on the public project status', async () => {
    const job = await grid.researcher.createSquareJob();
    const project = (
      (await (await grid.researcher.request('GET', API.job(job))).json()) as { job: { project: string } }
    ).job.project;
    const publicDiagnosis = async (): Promise<JobDiagnosis | undefined> => {
      const res = await fetch(grid.coordinator.url + API.projectStatus(project));
      expect(res.status).toBe(200);
      const body = (await res.json()) as ProjectStatus;
      expect(Object.keys(body.jobs[0] ?? {}).sort()).toEqual([
        'checking',
        'counts',
        'diagnosis',
        'id',
        'name',
        'publicResults',
        'state',
      ]);
      return body.jobs.find((j) => j.id === job)?.diagnosis;
    };
    expect(await diagnosis(job)).toMatchObject({ code: 'no_work_units', stalled: true });
    await grid.researcher.addSquares(job, 1, 2);
    expect(await diagnosis(job)).toMatchObject({ code: 'no_volunteers', stalled: true });

    // Four devices without WebGPU ask for work: none can run a WGSL job that has no wasm twin.
    for (let i = 0; i < 4; i++) await (await SimVolunteer.create(grid.coordinator.url)).lease(1, cpuOnly);
    const none = {
      code: 'no_eligible_volunteer',
      stalled: true,
      why: "no eligible volunteer online: 4 connected, 0 can run this job's WGSL (4: the job has no wasm twin, and the device has no WebGPU)",
      volunteers: { connected: 4, eligible: 0 },
    };
    expect(await diagnosis(job)).toEqual(none);
    expect(await publicDiagnosis()).toEqual(none);

    // One that can: it takes a replica of each unit; each needs a second volunteer (quorum 2).
    const gpu = await SimVolunteer.create(grid.coordinator.url);
    const leased = await gpu.lease(10);
    expect(leased.leases).toHaveLength(2);
    await gpu.computeAndSubmit(leased.leases, square);
    expect(await diagnosis(job)).toEqual({
      code: 'waiting_for_volunteers',
      stalled: true,
      why: '2 work units wait for more volunteers: each needs 2 distinct volunteers to agree, and the eligible volunteers online (1) already hold or returned them',
      volunteers: { connected: 5, eligible: 1 },
    });
    // A second one arrives and takes one unit: there is work for it.
    const second = await SimVolunteer.create(grid.coordinator.url);
    expect((await second.lease(1)).leases).toHaveLength(1);
    expect(await diagnosis(job)).toMatchObject({
      code: 'running',
      stalled: false,
      why: 'running: 2 of 6 connected volunteers can run it',
    });
    expect((await second.lease(1)).leases).toHaveLength(1);
    expect(await diagnosis(job)).toMatchObject({
      code: 'waiting_for_results',
      stalled: false,
      why: 'all units leased, waiting for results: 2 work units in progress',
    });

    expect((await grid.researcher.request('POST', API.pause(job))).status).toBe(200);
    expect(await publicDiagnosis()).toMatchObject({ code: 'paused', stalled: true });
  });

  it('counts a volunteer busy with its leases online while it submits or heartbeats, and not one silent past the window', async () => {
    const job = await grid.researcher.createSquareJob();
    await grid.researcher.addSquares(job, 1, 10);
    const busy = await SimVolunteer.create(grid.coordinator.url);
    const silent = await SimVolunteer.create(grid.coordinator.url);
    const held = (await busy.lease(2)).leases;
    expect(held).toHaveLength(2);
    expect((await silent.lease(1)).leases).toHaveLength(1);
    const connected = async () => (await diagnosis(job))?.volunteers?.connected;
    expect(await connected()).toBe(2);
    // Neither asks for work again (the busy one computes a long lease); the window is two minutes.
    clock.advance(70_000);
    expect((await busy.post(API.heartbeat, { leases: [held[0]?.lease] })).status).toBe(200);
    clock.advance(70_000);
    expect(await connected()).toBe(1);
    expect((await busy.computeAndSubmit(held.slice(1), square)).status).toBe(200);
    clock.advance(70_000);
    expect(await connected()).toBe(1);
    clock.advance(60_000);
    expect(await diagnosis(job)).toMatchObject({
      code: 'no_volunteers',
      why: 'no volunteer online: none has been heard from in the last 2 minutes',
    });
  });

  it('does not call a job running while every volunteer online is shut out for its errors', async () => {
    const job = await grid.researcher.createSquareJob();
    await grid.researcher.addSquares(job, 1, 20);
    const online = await Promise.all([0, 1].map(() => SimVolunteer.create(grid.coordinator.url)));
    for (const v of online) {
      const leased = await v.lease(4);
      expect(leased.leases.length).toBeGreaterThan(1);
      await v.submit(leased.leases.map(errorResult));
      // Past its allowance (one error for a new key): its next request gets nothing, for up to an hour.
      expect(await v.lease(4)).toMatchObject({ leases: [] });
    }
    expect(await diagnosis(job)).toMatchObject({
      code: 'no_eligible_volunteer',
      stalled: true,
      why: "no eligible volunteer online: 2 connected, 0 can run this job's WGSL (2: returned too many errors: no leases for up to an hour)",
      volunteers: { connected: 2, eligible: 0 },
    });
  });

  it('answers 404 for an unknown project and 400 for a malformed id on the public status', async () => {
    expect((await fetch(grid.coordinator.url + API.projectStatus('prj_0000000000000000'))).status).toBe(404);
    expect((await fetch(grid.coordinator.url + API.projectStatus('nope'))).status).toBe(400);
  });
});
