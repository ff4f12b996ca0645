// Text a person or a volunteer writes that the coordinator keeps as text (names, descriptions, tags, reasons,
// error messages): a JSON string may hold what no store keeps as written — a NUL character (Postgres's TEXT
// refuses it: the request failed with a 500 there while SQLite took it) or half of a surrogate pair (not Unicode:
// SQLite kept invalid UTF-8 and later answered U+FFFD, so what was read back was not what was written).

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `text` cannot be kept as written, or null when it can. */
export function textProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'must not contain a NUL character (\\u0000)';
  if (LONE_SURROGATE.test(text)) return 'must be Unicode text: it holds half of a surrogate pair';
  return null;
}

export const isStorableText = (text: string): boolean => textProblem(text) === null;

export const STORABLE_TEXT = 'must be text a store keeps as written: no NUL character (\\u0000), no lone surrogate';
