// Fakes shared by the client's tests: what a coordinator's failed answer comes to, results in an outbox, and what a
// submitter tells of them.
import type { BlobHash, LeaseId, SubmittedResult } from '@bricolage/protocol';
import type { MemoryOutbox, OutboxEntry } from '../outbox';
import type { ClientFailure, ClientResult } from './coordinator-client';

/** A failed answer with this status and code (status 0: no answer at all), naming the batch's item `index`. */
export const failure = (status: number, code: ClientFailure['code'], index?: number): ClientResult<never> => ({
  ok: false,
  error: {
    code,
    message: code,
    status,
    transient: status === 0 || status >= 500 || status === 429,
    ...(index !== undefined ? { index } : {}),
  },
});

/** A computed result for lease `ls_<n>`. */
export const result = (n: number, output = 'AAAA'): SubmittedResult => ({
  kind: 'ok',
  lease: `ls_${n}` as LeaseId,
  output,
  outputHash: 'a'.repeat(64) as BlobHash,
  backend: 'wasm',
  elapsedMs: 1,
});

/** Results `ls_1` … `ls_<n>` waiting in `outbox`. */
export async function fill(outbox: MemoryOutbox, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) await outbox.put({ id: `ls_${i}`, result: result(i), createdAt: i });
}

/** A submitter's events, recorded. */
export function recorder() {
  const log = {
    settled: [] as string[][],
    dropped: [] as string[],
    setAside: [] as string[],
    accepted: 0,
    repeated: 0,
    retries: 0,
  };
  return {
    log,
    events: {
      setAside: (entry: OutboxEntry, reason: ClientFailure, failures: number) =>
        log.setAside.push(`${entry.id}:${reason.code}:${failures}`),
      settled: (entries: readonly OutboxEntry[], accepted: number, repeated: number) => {
        log.settled.push(entries.map((e) => e.id));
        log.accepted += accepted;
        log.repeated += repeated;
      },
      dropped: (entry: OutboxEntry, reason: ClientFailure) => log.dropped.push(`${entry.id}:${reason.code}`),
      retrying: () => {
        log.retries++;
      },
    },
  };
}
