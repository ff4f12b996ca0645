// HTTP conditional and range requests on an immutable, content-addressed resource (RFC 9110 §13, §14):
// what to send for If-None-Match, Range and If-Range, given the resource's size and strong ETag.

export type Selection =
  /** 304: the client holds this version already. */
  | { readonly kind: 'not-modified' }
  /** 200 with the whole body. */
  | { readonly kind: 'whole' }
  /** 206 with bytes [start, end] (inclusive). */
  | { readonly kind: 'part'; readonly start: number; readonly end: number }
  /** 416: no byte of the range exists. */
  | { readonly kind: 'unsatisfiable' };

export interface Conditions {
  readonly ifNoneMatch?: string | undefined;
  readonly range?: string | undefined;
  readonly ifRange?: string | undefined;
}

/** `"tag"`, `W/"tag"` or `*` in a comma-separated If-None-Match list (weak comparison, as §13.1.2 asks). */
function noneMatch(header: string, etag: string): boolean {
  const opaque = etag.replace(/^W\//, '');
  return header
    .split(',')
    .map((t) => t.trim())
    .some((t) => t === '*' || t.replace(/^W\//, '') === opaque);
}

/**
 * Decides the response. If-None-Match comes first (§13.2.2); a Range is honoured only when it is a single
 * `bytes` range (several ranges, other units and bad syntax are ignored: the whole body is a valid answer,
 * §14.2) and any If-Range names this exact ETag.
 */
export function selectBytes(size: number, etag: string, conditions: Conditions): Selection {
  if (conditions.ifNoneMatch !== undefined && noneMatch(conditions.ifNoneMatch, etag)) return { kind: 'not-modified' };
  const range = conditions.range?.trim();
  if (!range) return { kind: 'whole' };
  if (conditions.ifRange !== undefined && conditions.ifRange.trim() !== etag) return { kind: 'whole' };
  const m = /^bytes\s*=\s*(\d*)\s*-\s*(\d*)$/i.exec(range);
  if (!m) return { kind: 'whole' };
  const [, first = '', last = ''] = m;
  if (first === '' && last === '') return { kind: 'whole' };
  if (first === '') {
    // The last `n` bytes.
    const n = Number(last);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'part', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return { kind: 'whole' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'part', start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}
