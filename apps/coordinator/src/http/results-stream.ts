// A job's finished work units as an NDJSON stream of ResultLine, in cursor order from `after`, read from the
// store 500 at a time as the client takes them: the researcher's download and the public one both send it.
import { type JobId, type ResultLine, workUnitId } from '@bricolage/protocol';
import { encodeBase64 } from '../hash';
import type { Store } from '../store/store';

export function resultsStream(store: Store, job: JobId, from: number, limit?: number): ReadableStream<Uint8Array> {
  let after = from;
  let left = limit ?? Number.POSITIVE_INFINITY;
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const page = left <= 0 ? [] : await store.results(job, after, Math.min(500, left));
      if (page.length === 0) {
        controller.close();
        return;
      }
      let text = '';
      for (const r of page) {
        const line: ResultLine = {
          cursor: r.cursor,
          workUnit: workUnitId(r.workUnit),
          tag: r.tag,
          state: r.state,
          outputHash: r.outputHash as ResultLine['outputHash'],
          output: r.output ? encodeBase64(r.output) : null,
          reason: r.reason,
          at: r.at,
        };
        text += `${JSON.stringify(line)}\n`;
        after = r.cursor;
      }
      left -= page.length;
      controller.enqueue(encoder.encode(text));
    },
  });
}
