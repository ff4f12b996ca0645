// Changes to rows grouped by the set of columns they write, so that each backend updates a group in one
// statement that writes only those columns (SQLite and Postgres then leave every index on the others alone).

export interface Shape<C> {
  /** The fields the group's changes set, sorted. */
  readonly fields: (keyof C)[];
  readonly rows: { readonly id: number; readonly set: C }[];
}

/** The changes by the fields they set (a field set to undefined is not set); changes that set nothing are dropped. */
export function byShape<C extends object>(
  changes: readonly { readonly id: number; readonly set: C }[],
): Map<string, Shape<C>> {
  const shapes = new Map<string, Shape<C>>();
  for (const change of changes) {
    const fields = (Object.keys(change.set) as (keyof C)[]).filter((k) => change.set[k] !== undefined).sort();
    if (fields.length === 0) continue;
    const key = fields.join(',');
    let shape = shapes.get(key);
    if (!shape) {
      shape = { fields, rows: [] };
      shapes.set(key, shape);
    }
    shape.rows.push(change);
  }
  return shapes;
}
