// Validation scenarios over real HTTP with a manual clock and seeded chance: disagreement, expiry,
// errors, known answers and adaptive replication (a key's standing in full: standing.test.ts).
import { createHash } from 'node:crypto';
import { fromBase64 } from '@bricolage/protocol';
import { abiModule } from '@bricolage/runtime/testing';
import { expect, it } from 'vitest';
import { ManualClock, seededRandom } from './clock';
import { describeBackends } from './testing/backends';
import { square, squareInput, squareJob, wrongSquare } from './testing/fixtures';
import { useGrid } from './testing/grid-fixture';
import { errorResult, GPU_CAPABILITIES, SimVolunteer, okResult } from './testing/sim-volunteer';

describeBackends('scheduling', (backend) => {
  let clock: ManualClock;
  const grid = useGrid(backend, {
    name: 'sched',
    start: () => {
      clock = new ManualClock();
      return { clock, random: seededRandom(42), project: 'sched' };
    },
  });
  const volunteers = (n: number) =>
    Promise.all(Array.from({ length: n }, () => SimVolunteer.create(grid.coordinator.url)));

  it('reissues a work unit whose replicas disagree until a quorum agrees, and marks the dissenter invalid', async () => {
    const job = await grid.researcher.createSquareJob();
    await grid.researcher.addSquares(job, 1, 1);
    const [honest, liar, third] = await volunteers(3);
    const h = await honest!.lease(1);
    const l = await liar!.lease(1);
    expect((await third!.lease(1)).leases).toHaveLength(0); // both replicas are out
    await honest!.computeAndSubmit(h.leases, square);
    await liar!.computeAndSubmit(l.leases, wrongSquare);
    expect((await grid.researcher.progress(job)).counts.in_progress).toBe(1);
    // Both results wait for a verdict until the third one decides it.
    expect(await honest!.stats()).toMatchObject({ pending: 1 });
    expect(await liar!.stats()).toMatchObject({ pending: 1 });
    const t = await third!.lease(1);
    expect(t.leases).toHaveLength(1);
    await third!.computeAndSubmit(t.leases, square);
    expect((await grid.researcher.progress(job)).counts.validated).toBe(1);
    expect(await liar!.stats()).toMatchObject({ valid: 0, invalid: 1, credit: 0, pending: 0 });
    expect(await honest!.stats()).toMatchObject({ valid: 1, credit: 10, pending: 0 });
    expect(await third!.stats()).toMatchObject({ pending: 0 });
    expect((await liar!.receipts()).receipts).toHaveLength(0);
  });

  it('leases a job without a wasm twin to a software adapter that prefers wasm, and names WebGPU in the lease', async () => {
    const job = await grid.researcher.createSquareJob();
    await grid.researcher.addSquares(job, 1, 2);
    const software = {
      ...GPU_CAPABILITIES,
      webgpu: { ...GPU_CAPABILITIES.webgpu!, isFallbackAdapter: true },
      backends: { wgsl: 'wasm' as const, onnx: 'onnx-wasm' as const },
    };
    const [v] = await volunteers(1);
    const granted = await v!.lease(10, software);
    expect(granted.leases).toHaveLength(2);
    expect(granted.jobs.map((j) => [j.id, j.backend])).toEqual([[job, 'webgpu']]);
    // Without an adapter it cannot run at all, and is told to come back later.
    const [cpu] = await volunteers(1);
    expect(await cpu!.lease(10, { ...software, webgpu: null })).toMatchObject({ leases: [], retryAfter: 10 });
  });

  it('offers a software adapter the jobs it runs on wasm before the WGSL-only ones it can only run on WebGPU', async () => {
    const wgslOnly = await grid.researcher.createSquareJob({ name: 'older, WGSL only' });
    const twin = abiModule('copy') as Uint8Array<ArrayBuffer>;
    await grid.researcher.request(
      'PUT',
      `/v1/blobs/${createHash('sha256').update(twin).digest('hex')}`,
      twin,
      'application/octet-stream',
    );
    const base = squareJob({ name: 'newer, with a twin' });
    if (base.spec.kind !== 'wgsl') throw new Error('unreachable');
    const created = await grid.researcher.request(
      'POST',
      '/v1/jobs',
      JSON.stringify({
        ...base,
        spec: { ...base.spec, wasm: { module: createHash('sha256').update(twin).digest('hex') } },
      }),
    );
    const withTwin = ((await created.json()) as { id: string }).id;
    await grid.researcher.addSquares(wgslOnly, 1, 2);
    await grid.researcher.addSquares(withTwin, 1, 2);
    const software = {
      ...GPU_CAPABILITIES,
      webgpu: { ...GPU_CAPABILITIES.webgpu!, isFallbackAdapter: true },
      backends: { wgsl: 'wasm' as const, onnx: 'onnx-wasm' as const },
    };
    const [v] = await volunteers(1);
    const first = await v!.lease(2, software);
    expect(first.leases.map((l) => l.job)).toEqual([withTwin, withTwin]);
    expect(first.jobs.map((j) => j.backend)).toEqual(['wasm']);
    const then = await v!.lease(2, software);
    expect(then.leases.map((l) => l.job)).toEqual([wgslOnly, wgslOnly]);
    expect(then.jobs.map((j) => j.backend)).toEqual(['webgpu']);
  });

  it('shares leases between an old job with many units and a new one, rather than serving the oldest first', async () => {
    // As `npm start`'s demo (thousands of tiles) and a researcher's first job after it.
    const old = await grid.researcher.createSquareJob({ name: 'the demo' });
    await grid.researcher.addSquares(old, 1, 200);
    const fresh = await grid.researcher.createSquareJob({ name: 'a researcher’s job' });
    await grid.researcher.addSquares(fresh, 1, 60);
    const led: (string | undefined)[] = [];
    for (const v of await volunteers(24)) led.push((await v.lease(5)).leases[0]?.job);
    // Each lease is filled from the job it is offered first: in creation order, all 24 from the old one. At an even
    // share, fewer than 5 of 24 for either is a 1-in-1,000 draw.
    expect(led.filter((j) => j === fresh).length).toBeGreaterThanOrEqual(5);
    expect(led.filter((j) => j === old).length).toBeGreaterThanOrEqual(5);
  });

  it('never leases two replicas of one work unit to the same volunteer', async () => {
    const job = await grid.researcher.createSquareJob();
    await grid.researcher.addSquares(job, 1, 3);
    const [v] = await volunteers(1);
    expect((await v!.lease(10)).leases).toHaveLength(3);
    expect((await v!.lease(10)).leases).toHaveLength(0);
  });

  it('takes back an expired lease and gives the work unit to someone else; the late result is refused', async () => {
    const job = await grid.researcher.createSquareJob({ leaseSeconds: 60 });
    await grid.researcher.addSquares(job, 1, 1);
    const [slow, a, b] = await volunteers(3);
    const s = await slow!.lease(1);
    await a!.lease(1).then((r) => a!.computeAndSubmit(r.leases, square));
    expect((await b!.lease(1)).leases).toHaveLength(0);
    clock.advance(61_000);
    expect(await grid.coordinator.sweep()).toBe(1);
    const late = await slow!.computeAndSubmit(s.leases, square);
    expect(late.status).toBe(410);
    expect(late.body).toMatchObject({ error: { code: 'lease_expired' } });
    const r = await b!.lease(1);
    expect(r.leases).toHaveLength(1);
    await b!.computeAndSubmit(r.leases, square);
    expect((await grid.researcher.progress(job)).counts.validated).toBe(1);
  });

  it('keeps a lease alive with heartbeats', async () => {
    const job = await grid.researcher.createSquareJob({ leaseSeconds: 60 });
    await grid.researcher.addSquares(job, 1, 1);
    const [v] = await volunteers(1);
    const { leases } = await v!.lease(1);
    clock.advance(50_000);
    const hb = await v!.post<{ leases: { deadline: number }[] }>('/v1/volunteer/heartbeat', {
      leases: [leases[0]!.lease],
    });
    expect(hb.body.leases[0]?.deadline).toBe(clock.now() + 60_000);
    clock.advance(50_000);
    await grid.coordinator.sweep();
    expect((await v!.computeAndSubmit(leases, square)).status).toBe(200);
  });

  it('fails a work unit after too many error results, with the reason recorded', async () => {
    const job = await grid.researcher.createSquareJob({
      redundancy: { minQuorum: 2, maxTotalResults: 6, maxErrorResults: 1, homogeneous: false },
    });
    await grid.researcher.addSquares(job, 1, 1);
    const vs = await volunteers(2);
    for (const v of vs) {
      const { leases } = await v.lease(1);
      expect((await v.submit(leases.map(errorResult))).status).toBe(200);
    }
    const results = await grid.researcher.results(job);
    expect(results).toMatchObject([{ state: 'failed', output: null }]);
    expect(String(results[0]?.reason)).toMatch(/too many error results/);
  });

  it('fails a work unit when maxTotalResults replicas never reach a quorum', async () => {
    const job = await grid.researcher.createSquareJob({
      redundancy: { minQuorum: 2, maxTotalResults: 3, maxErrorResults: 3, homogeneous: false },
    });
    await grid.researcher.addSquares(job, 1, 1);
    const vs = await volunteers(4);
    let k = 0;
    for (const v of vs.slice(0, 3)) {
      const { leases } = await v.lease(1);
      const salt = ++k;
      await v.computeAndSubmit(leases, (input) => {
        const out = square(input);
        out[0] = (out[0] ?? 0) + salt;
        return out;
      });
    }
    expect((await vs[3]!.lease(1)).leases).toHaveLength(0);
    const [line] = await grid.researcher.results(job);
    expect(line).toMatchObject({ state: 'failed' });
    expect(String(line?.reason)).toMatch(/no quorum of 2 after 3 results/);
    // The failed unit's results, the last one included, no longer wait for a verdict.
    for (const v of vs.slice(0, 3)) expect(await v.stats()).toMatchObject({ pending: 0, returned: 1 });
  });

  it('catches a wrong volunteer with a known-answer work unit and flags it', async () => {
    const job = await grid.researcher.createSquareJob({ knownAnswerRate: 1 });
    await grid.researcher.addSquares(job, 1, 2, 1);
    expect(await grid.researcher.progress(job)).toMatchObject({ knownAnswer: 1 });
    const [liar, honest] = await volunteers(2);
    const bad = await liar!.lease(1);
    expect(bad.leases[0]?.workUnit).toBe('wu_3'); // the known-answer unit, by rate 1
    await liar!.computeAndSubmit(bad.leases, wrongSquare);
    expect(await liar!.stats()).toMatchObject({ invalid: 1, flagged: true, consecutiveValid: 0 });
    const good = await honest!.lease(1);
    await honest!.computeAndSubmit(good.leases, square);
    expect(await honest!.stats()).toMatchObject({ valid: 1, flagged: false, credit: 10 });
    // The known-answer unit's result is the researcher's expected output, whatever volunteers answered.
    const results = await grid.researcher.results(job);
    expect(results.map((r) => [r.workUnit, r.state])).toEqual([['wu_3', 'validated']]);
    expect(fromBase64(String(results[0]?.output))).toEqual(square(squareInput(1_000_000)));
  });

  it('lowers replication only for a volunteer whose validated work includes known answers', async () => {
    const adaptive = { adaptive: { enabled: true, trustAfter: 5, spotCheckRate: 0.1 } };
    // Units are drawn at random: each stage has a job of its own, so that who gets which unit is known.
    const [trusted, partner, auditor] = await volunteers(3);
    // Forty results confirmed by a partner, eight times the threshold, but no known answer: no trust yet.
    const earn = await grid.researcher.createSquareJob({ name: 'earn', ...adaptive });
    await grid.researcher.addSquares(earn, 1, 20);
    for (const v of [trusted!, partner!]) await v.computeAndSubmit((await v.lease(20)).leases, square);
    expect((await grid.researcher.progress(earn)).counts.validated).toBe(20);
    const untrusted = await grid.researcher.createSquareJob({ name: 'untrusted', ...adaptive });
    await grid.researcher.addSquares(untrusted, 100, 20);
    await trusted!.computeAndSubmit((await trusted!.lease(20)).leases, square);
    expect((await grid.researcher.progress(untrusted)).counts.validated).toBe(0);
    await partner!.computeAndSubmit((await partner!.lease(20)).leases, square);
    expect((await grid.researcher.progress(untrusted)).counts.validated).toBe(20);
    // Three known answers passed (a job with known answers at rate 1 hands them out first), beside seven
    // units the partner confirms: trusted now.
    const probes = await grid.researcher.createSquareJob({ name: 'probes', ...adaptive, knownAnswerRate: 1 });
    await grid.researcher.addSquares(probes, 200, 7, 3);
    const mine = await trusted!.lease(10);
    expect(mine.leases).toHaveLength(10);
    await trusted!.computeAndSubmit(mine.leases, square);
    await partner!.computeAndSubmit((await partner!.lease(10)).leases, square);
    expect((await grid.researcher.progress(probes)).counts.validated).toBe(7);
    // Most of its first replicas now go unreplicated: they validate on its result alone.
    const job = await grid.researcher.createSquareJob({ name: 'trusted', ...adaptive });
    await grid.researcher.addSquares(job, 300, 100);
    const batch = await trusted!.lease(100);
    expect(batch.leases).toHaveLength(100);
    await trusted!.computeAndSubmit(batch.leases, square);
    const alone = (await grid.researcher.progress(job)).counts.validated;
    expect(alone).toBeGreaterThan(30);
    expect(alone).toBeLessThan(100); // spot checks still replicate some
    // The spot-checked ones are the only units still waiting for a second replica, which the auditor takes.
    const audit = await auditor!.lease(100);
    expect(audit.leases).toHaveLength(100 - alone);
    await auditor!.computeAndSubmit(audit.leases, square);
    expect((await grid.researcher.progress(job)).counts.validated).toBe(100);
  });

  it('forms quorums within one backend class under homogeneous redundancy', async () => {
    const twin = abiModule('copy') as Uint8Array<ArrayBuffer>;
    const twinHash = createHash('sha256').update(twin).digest('hex');
    await grid.researcher.request('PUT', `/v1/blobs/${twinHash}`, twin, 'application/octet-stream');
    await grid.researcher.createSquareJob(); // uploads the shader
    const base = squareJob();
    if (base.spec.kind !== 'wgsl') throw new Error('unreachable');
    const jobWithTwin = await grid.researcher.request(
      'POST',
      '/v1/jobs',
      JSON.stringify({
        ...base,
        redundancy: { minQuorum: 2, homogeneous: true },
        spec: { ...base.spec, wasm: { module: twinHash } },
      }),
    );
    const twinJob = ((await jobWithTwin.json()) as { id: string }).id;
    await grid.researcher.addSquares(twinJob, 1, 1);
    const cpu = { ...GPU_CAPABILITIES, webgpu: null, backends: { wgsl: 'wasm' as const, onnx: null } };
    const [gpu1, wasm1, gpu2] = await volunteers(3);
    expect((await gpu1!.lease(1)).leases).toHaveLength(1); // locks the unit to the webgpu class
    expect((await wasm1!.lease(1, cpu)).leases).toHaveLength(0);
    expect((await gpu2!.lease(1)).leases).toHaveLength(1);
  });

  it('accepts an identical resubmission idempotently and refuses a different one', async () => {
    const job = await grid.researcher.createSquareJob();
    await grid.researcher.addSquares(job, 1, 1);
    const [v] = await volunteers(1);
    const { leases } = await v!.lease(1);
    const first = okResult(leases[0]!, square(Buffer.from(leases[0]!.input!, 'base64')));
    expect((await v!.submit([first])).body).toEqual({ accepted: 1, repeated: 0 });
    expect((await v!.submit([first])).body).toEqual({ accepted: 0, repeated: 1 });
    const other = okResult(leases[0]!, new Uint8Array(16));
    const dup = await v!.submit([other]);
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ error: { code: 'duplicate_result', index: 0 } });
  });

  it('pauses, resumes and cancels a job without losing accepted results', async () => {
    const job = await grid.researcher.createSquareJob();
    await grid.researcher.addSquares(job, 1, 4);
    const [a, b] = await volunteers(2);
    // Units are drawn at random: b takes all four and returns the two that a took.
    const la = await a!.lease(2);
    const mine = new Set(la.leases.map((l) => l.workUnit));
    const lb = await b!.lease(4);
    await a!.computeAndSubmit(la.leases, square);
    await b!.computeAndSubmit(
      lb.leases.filter((l) => mine.has(l.workUnit)),
      square,
    );
    expect((await grid.researcher.request('POST', `/v1/jobs/${job}/pause`)).status).toBe(200);
    expect((await a!.lease(10)).leases).toHaveLength(0);
    expect((await grid.researcher.request('POST', `/v1/jobs/${job}/resume`)).status).toBe(200);
    const again = await a!.lease(10);
    expect(again.leases).toHaveLength(2);
    expect((await grid.researcher.request('POST', `/v1/jobs/${job}/cancel`)).status).toBe(200);
    const late = await a!.computeAndSubmit(again.leases, square);
    expect(late.body).toMatchObject({ error: { code: 'job_not_active' } });
    const progress = await grid.researcher.progress(job);
    expect(progress.counts).toMatchObject({ validated: 2, cancelled: 2 });
    expect(await grid.researcher.results(job)).toHaveLength(2);
    expect((await grid.researcher.request('POST', `/v1/jobs/${job}/resume`)).status).toBe(409);
  });

  it('streams progress over Server-Sent Events as results validate', async () => {
    const job = await grid.researcher.createSquareJob();
    await grid.researcher.addSquares(job, 1, 2);
    const controller = new AbortController();
    const res = await fetch(`${grid.coordinator.url}/v1/jobs/${job}/events`, {
      headers: { authorization: `Bearer ${grid.researcher.token}` },
      signal: controller.signal,
    });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const until = async (pattern: RegExp) => {
      while (!pattern.test(text)) text += decoder.decode((await reader.read()).value);
    };
    await until(/"unsent":2/);
    const [a, b] = await volunteers(2);
    await a!.lease(2).then((r) => a!.computeAndSubmit(r.leases, square));
    await b!.lease(2).then((r) => b!.computeAndSubmit(r.leases, square));
    await until(/"validated":2/);
    expect(text).toMatch(/event: progress/);
    controller.abort();
  });

  it('accepts 100,000 work units in one streamed request', async () => {
    const job = await grid.researcher.createSquareJob();
    const lines = 100_000;
    const encoder = new TextEncoder();
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (i >= lines) return c.close();
        let chunk = '';
        for (let k = 0; k < 5000 && i < lines; k++, i++) {
          const input = Buffer.from(new Uint32Array([i, i, i, i]).buffer).toString('base64');
          chunk += `{"input":"${input}","tag":"${i}"}\n`;
        }
        c.enqueue(encoder.encode(chunk));
      },
    });
    const before = process.memoryUsage().rss;
    const res = await fetch(`${grid.coordinator.url}/v1/jobs/${job}/workunits`, {
      method: 'POST',
      headers: { authorization: `Bearer ${grid.researcher.token}`, 'content-type': 'application/x-ndjson' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ added: lines, firstWorkUnit: 'wu_1', lastWorkUnit: `wu_${lines}` });
    expect((await grid.researcher.progress(job)).counts.unsent).toBe(lines);
    // The body is ~6 MB; the server keeps one chunk of lines at a time, not the whole upload.
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  });
});
