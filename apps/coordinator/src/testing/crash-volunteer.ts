// One simulated volunteer of a crash run (crash-run.ts), as the browser runtime behaves through the kills:
// lease, compute, submit; on a 4xx naming an item, drop that item and resubmit the rest; on a network error,
// keep the batch and try again. What the coordinator acknowledged is tallied for the checks (crash-checks.ts).
import {
  API,
  type Lease,
  type LeaseResponse,
  type SubmittedResult,
  fromBase64,
  leaseNumber,
  workUnitNumber,
} from '@bricolage/protocol';
import type { Random } from '../clock';
import { square } from './fixtures';
import { GPU_CAPABILITIES, type HttpReply, type SimVolunteer, okResult } from './sim-volunteer';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where the run stands: what the coordinator acknowledged, and every answer it should not have given. */
export interface Tally {
  /** Lease number → the work unit and volunteer of every result a 200 acknowledged. */
  readonly acknowledged: Map<number, { workUnit: number; volunteer: string }>;
  readonly dropped: Map<string, number>;
  readonly unexpected: string[];
  readonly networkErrors: { n: number };
  done: boolean;
}

/** One volunteer as the browser runtime behaves: lease, compute, submit; on a 4xx naming an item,
 * drop that item and resubmit the rest; on a network error, keep the batch and try again. */
export async function volunteerLoop(v: SimVolunteer, random: Random, tally: Tally): Promise<void> {
  // Results not yet acknowledged, each with its work unit.
  let pending: { result: SubmittedResult; workUnit: number }[] = [];
  const call = async <T>(f: () => Promise<HttpReply<T>>): Promise<HttpReply<T> | null> => {
    try {
      return await f();
    } catch {
      // Refused, reset or cut off mid-answer: the coordinator is down or going down.
      tally.networkErrors.n++;
      await sleep(20 + random() * 30);
      return null;
    }
  };
  while (!tally.done) {
    if (pending.length > 0) {
      const batch = pending;
      const reply = await call(() => v.submit(batch.map((p) => p.result)));
      if (!reply) continue;
      if (reply.status === 200) {
        for (const p of batch)
          tally.acknowledged.set(leaseNumber(p.result.lease), { workUnit: p.workUnit, volunteer: v.key });
        pending = [];
        continue;
      }
      const error = (reply.body as { error?: { code: string; index?: number } }).error;
      if (reply.status === 429) {
        await sleep(50);
        continue;
      }
      if (reply.status >= 500 || !error) {
        tally.unexpected.push(`submit ${reply.status}: ${JSON.stringify(reply.body)}`);
        pending = [];
        continue;
      }
      tally.dropped.set(error.code, (tally.dropped.get(error.code) ?? 0) + 1);
      pending =
        error.index !== undefined && error.index < batch.length ? batch.filter((_, i) => i !== error.index) : [];
      continue;
    }
    const max = 1 + Math.floor(random() * 64);
    const reply = await call(() => v.post<LeaseResponse>(API.lease, { capabilities: GPU_CAPABILITIES, max }));
    if (!reply) continue;
    if (reply.status !== 200) {
      if (reply.status !== 429) tally.unexpected.push(`lease ${reply.status}: ${JSON.stringify(reply.body)}`);
      await sleep(50);
      continue;
    }
    const leases: Lease[] = reply.body.leases;
    if (leases.length === 0) {
      await sleep(50 + random() * 100);
      continue;
    }
    pending = leases.map((l) => ({
      result: okResult(l, square(fromBase64(l.input ?? ''))),
      workUnit: workUnitNumber(l.workUnit),
    }));
  }
}
