// Fields a schema does not know, in what a researcher wrote. The schemas strip unknown keys (so that a newer
// coordinator's answers parse in an older page), which would let a misspelt manifest field (`minQourum`,
// `timeBudgetMS`, a unit line's `expceted`) fall away silently and its default take its place. Where a person
// writes the input, a parse is followed by this: what the input has and its parsed form lost is unknown.

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The paths (`redundancy.minQourum`, `spec.bindings.0.nmae`) of `input`'s keys that `parsed` dropped. */
export function unknownFields(input: unknown, parsed: unknown, path = ''): string[] {
  const at = (key: string | number) => (path ? `${path}.${key}` : String(key));
  if (Array.isArray(input) && Array.isArray(parsed))
    return input.flatMap((item, i) => unknownFields(item, parsed[i], at(i)));
  if (!isObject(input) || !isObject(parsed)) return [];
  return Object.keys(input).flatMap((key) =>
    key in parsed ? unknownFields(input[key], parsed[key], at(key)) : [at(key)],
  );
}

/** `unknownFields` as a message, or null when there are none. */
export function unknownFieldsProblem(input: unknown, parsed: unknown): string | null {
  const unknown = unknownFields(input, parsed);
  if (unknown.length === 0) return null;
  const shown = unknown.slice(0, 5).join(', ');
  return `unknown field${unknown.length === 1 ? '' : 's'} ${shown}${unknown.length > 5 ? ', …' : ''} (misspelt? nothing was taken from ${unknown.length === 1 ? 'it' : 'them'})`;
}
