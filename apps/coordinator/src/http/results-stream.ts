// A job's finished work units as an NDJSON stream of ResultLine, in cursor order from `after`, read from the
// store 500 at a time as the client takes them: the researcher's download and the public one (without known-answer units) both send it.
import { type JobId, type ResultLine, workUnitId } from '@bricolage/protocol';
import { encodeBase64 } from '../hash';
import type { Store } from '../store/store';

export function resultsStream(
  store: Store,
  job: JobId,
  from: number,
  limit?: number,
  options: { readonly knownAnswers: boolean } = { knownAnswers: true },
): ReadableStream<Uint8Array> {
  let after = from;
  let left = limit ?? Number.POSITIVE_INFINITY;
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      // Known-answer units left out (a public download): their answers, and which units they are, are what
      // volunteers must not learn. Read on past them, so that a page is never empty while results are left.
      let page = left <= 0 ? [] : await store.results(job, after, Math.min(500, left));
      while (!options.knownAnswers && page.length > 0 && page.every((r) => r.knownAnswer)) {
        after = (page.at(-1) as (typeof page)[number]).cursor;
        page = await store.results(job, after, Math.min(500, left));
      }
      if (page.length === 0) {
        controller.close();
        return;
      }
      let text = '';
      let sent = 0;
      for (const r of page) {
        after = r.cursor;
        if (r.knownAnswer && !options.knownAnswers) continue;
        sent++;
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
      }
      left -= sent;
      controller.enqueue(encoder.encode(text));
    },
  });
}
