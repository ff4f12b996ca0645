// What one lease answer carries inline, on both stores: a device measured fast is sized 30 s of work, far more
// units than one answer carries; the answer carries, in id order, the units whose inputs fit in its inline
// budget (StepLimits.inlineLeaseBytes), and beside them any whose inputs are too large to travel inline (the
// volunteer fetches them by hash). The store reads the inputs of those it carries only (draw.ts).
import {
  API,
  type Capabilities,
  type CreateJobRequest,
  LEASE_FRAME_TYPE,
  type Lease,
  readLeaseFrame,
  sha256Hex,
  toBase64,
} from '@bricolage/protocol';
import { expect, it } from 'vitest';
import { ManualClock, seededRandom } from './clock';
import { describeBackends } from './testing/backends';
import { useGrid } from './testing/grid-fixture';
import { squareJob } from './testing/fixtures';
import { GPU_CAPABILITIES, SimVolunteer } from './testing/sim-volunteer';

const quiet = () => undefined;
const ndjson = (count: number, size: number) =>
  Array.from(
    { length: count },
    (_, i) => `${JSON.stringify({ input: toBase64(new Uint8Array(size).fill(i)) })}\n`,
  ).join('');

describeBackends('lease answers and their inline inputs', (backend) => {
  const clock = new ManualClock();
  const grid = useGrid(backend, { name: 'lease-inline' });

  /** A job of `smalls` 16-byte inputs (they ride inline) and one of `larges` 64-byte inputs (fetched by hash). */
  async function smallAndLarge(smalls: number, larges: number) {
    const small = await grid.researcher.createSquareJob({ leaseSeconds: 600, name: 'small' });
    const large = await grid.researcher.createSquareJob({
      leaseSeconds: 600,
      name: 'large',
      spec: {
        ...squareJob().spec,
        bindings: [
          { binding: 0, name: 'xs', type: 'read', role: 'input', size: 64 },
          { binding: 1, name: 'ys', type: 'read_write', role: 'output', size: 64 },
        ],
      } as CreateJobRequest['spec'],
    });
    for (const [job, count, size] of [
      [small, smalls, 16],
      [large, larges, 64],
    ] as const) {
      const up = await grid.researcher.request('POST', API.workUnits(job), ndjson(count, size), 'application/x-ndjson');
      expect(up.status, await up.clone().text()).toBe(200);
    }
    return { small, large };
  }

  it('carries the units whose inputs fit, and those fetched by hash beside them, each unit once', async () => {
    await grid.start({
      clock,
      random: seededRandom(5),
      config: { maxLeasesPerVolunteer: 1000, inlineInputBytes: 32, inlineLeaseBytes: 5 * 16 },
      log: quiet,
      project: 'inline',
    });
    // Two jobs: one of 16-byte inputs (inline: five fill an answer), one of 64-byte inputs (fetched by hash).
    const { small, large } = await smallAndLarge(30, 30);
    const gpu = await SimVolunteer.create(grid.coordinator.url);
    const measured: Capabilities = {
      ...GPU_CAPABILITIES,
      speeds: [small, large].map((job) => ({ job: job as never, unitsPerSecond: 1000 })),
    };
    const seen: Lease[] = [];
    for (let answer = 0; answer < 20 && seen.length < 60; answer++) {
      const { leases } = await gpu.lease(1, measured);
      const inline = leases.filter((l) => l.input !== null);
      // Five 16-byte inputs fill the answer's 80 bytes; the last answers may hold fewer.
      expect(inline.length).toBeLessThanOrEqual(5);
      if (seen.filter((l) => l.input !== null).length + 5 <= 30) expect(inline.length).toBe(5);
      for (const l of inline) expect(Buffer.from(l.input!, 'base64')).toHaveLength(16);
      // The rest are the large ones, fetched by hash.
      for (const l of leases.filter((x) => x.input === null)) {
        expect(l.job).toBe(large);
        const fetched = await fetch(`${grid.coordinator.url}${API.blob(l.inputHash)}`);
        expect(new Uint8Array(await fetched.arrayBuffer())).toHaveLength(64);
      }
      seen.push(...leases);
    }
    expect(new Set(seen.map((l) => l.workUnit)).size).toBe(60);
    expect(seen).toHaveLength(60);
  });

  it('sends the answer as a frame, inputs as bytes after its JSON, to a client that asks for one', async () => {
    await grid.start({
      clock,
      random: seededRandom(6),
      config: { maxLeasesPerVolunteer: 1000, inlineInputBytes: 32, inlineLeaseBytes: 5 * 16 },
      log: quiet,
      project: 'framed',
    });
    const { small, large } = await smallAndLarge(12, 3);
    const v = await SimVolunteer.create(grid.coordinator.url);
    const leaseFramed = async () => {
      const reply = await fetch(`${grid.coordinator.url}${API.lease}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${v.bearer}`, accept: LEASE_FRAME_TYPE },
        body: JSON.stringify({ capabilities: GPU_CAPABILITIES, max: 8 }),
      });
      expect(reply.status).toBe(200);
      expect(reply.headers.get('content-type')).toBe(LEASE_FRAME_TYPE);
      expect(reply.headers.get('vary')?.toLowerCase()).toContain('accept');
      const read = readLeaseFrame(new Uint8Array(await reply.arrayBuffer()));
      if (!read.ok) throw new Error(read.message);
      return read.answer;
    };
    const seen = new Set<string>();
    for (let answer = 0; answer < 10; answer++) {
      const { leases, jobs } = await leaseFramed();
      if (leases.length === 0) break;
      expect(new Set(leases.map((l) => l.job))).toEqual(new Set(jobs.map((j) => j.id)));
      for (const l of leases) {
        seen.add(l.workUnit);
        expect(l.input).toBeNull();
        if (l.job === large) {
          // Too large to ride along: fetched by hash, as in JSON.
          expect(l.inline).toBeUndefined();
          expect(l.inlineBytes).toBeUndefined();
          continue;
        }
        expect(l.inlineBytes).toBe(16);
        expect(await sha256Hex(l.inline!)).toBe(l.inputHash);
      }
      // The answer's 80 bytes carry five 16-byte inputs at most.
      expect(leases.filter((l) => l.inline).length).toBeLessThanOrEqual(5);
      if (answer === 0) {
        // The same key asking without the header gets JSON, inputs as base64.
        const plain = await v.lease(2);
        expect(plain.leases).toHaveLength(2);
        for (const l of plain.leases) {
          seen.add(l.workUnit);
          if (l.job === small) expect(Buffer.from(l.input!, 'base64')).toHaveLength(16);
          else expect(l.input).toBeNull();
        }
      }
    }
    expect(seen.size).toBe(15);
    // Nothing left: the frame of an empty answer says when to ask again.
    const empty = await leaseFramed();
    expect(empty.leases).toEqual([]);
    expect(empty.retryAfter).toBeGreaterThan(0);
  });
});
