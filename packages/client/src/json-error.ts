// Where a text stops being JSON, as a line and column (1-based): what an editor jumps to from `file:line:column`,
// where V8's message gives a character position, or none at all.

export interface JsonSyntaxError {
  readonly line: number;
  readonly column: number;
  /** V8's reason, without its position or its quote of the text (which may be a whole line of megabytes). */
  readonly reason: string;
}

/** `error`, thrown by `JSON.parse(text)`, as the line and column where `text` stops being JSON. */
export function jsonSyntaxError(text: string, error: unknown): JsonSyntaxError {
  const message = error instanceof Error ? error.message : String(error);
  const offset = positionIn(message, text.length) ?? lastViablePrefix(text);
  const before = text.slice(0, offset);
  const lines = before.split('\n');
  return {
    line: lines.length,
    column: (lines.at(-1) as string).length + 1,
    reason: message.replace(/ in JSON at position \d+.*$/s, '').replace(/^(Unexpected token '.+?'), .*$/s, '$1'),
  };
}

/** The offset V8 names (the end, for an unexpected end), or null when it names none. */
function positionIn(message: string, length: number): number | null {
  if (/end of JSON input/.test(message)) return length;
  const at = /at position (\d+)/.exec(message);
  return at ? Number(at[1]) : null;
}

/**
 * The longest prefix of `text` that could still begin a JSON text: where it breaks. For V8's messages without
 * a position (`Unexpected token 'u', "…" is not valid JSON`, as for undefined, NaN, a comment, `[1,]`): a prefix
 * that parses, or fails only at its end, can still be continued; one that fails before its end cannot.
 */
function lastViablePrefix(text: string): number {
  const viable = (length: number): boolean => {
    try {
      JSON.parse(text.slice(0, length));
      return true;
    } catch (e) {
      const at = positionIn((e as Error).message, length);
      return at !== null && at >= length;
    }
  };
  let low = 0;
  let high = text.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (viable(mid)) low = mid;
    else high = mid - 1;
  }
  return low;
}
