/**
 * Ids by position: a list, or something that makes them when asked (the alarm catalog, which
 * keeps no id strings).
 */
export type IdList = readonly string[] | { readonly length: number; id(i: number): string };

/** The id at position i of an {@link IdList}. */
export function idAt(ids: IdList, i: number): string {
  return isList(ids) ? ids[i] : ids.id(i);
}

function isList(ids: IdList): ids is readonly string[] {
  return Array.isArray(ids);
}

/** Columns kept in `ids` order that JSON holds as records (point-states.ts, alarm-states.ts). */
interface RecordColumns<R> {
  readonly ids: IdList;
  put(i: number, r: R): void;
  toJSON(): R[];
}

/**
 * The columns for `ids` from what a state holds: the held columns themselves when they are for
 * the same ids, else new columns with the records (or columns) of the same ids put in, by
 * position when they are a copy of such columns (a JSON copy of a state of the same engine),
 * else by id; records of ids not among `ids` are dropped, the other ids start afresh.
 */
export function columnsFrom<R extends { id: string }, L extends IdList, C extends RecordColumns<R>>(
  ids: L,
  held: C | readonly R[] | undefined,
  Columns: new (ids: L) => C,
): C {
  if (held instanceof Columns && held.ids === ids) return held;
  const out = new Columns(ids);
  if (!held) return out;
  const records: readonly R[] = held instanceof Columns ? held.toJSON() : (held as readonly R[]);
  if (records.length === ids.length && records.every((r, i) => r.id === idAt(ids, i))) {
    records.forEach((r, i) => out.put(i, r));
    return out;
  }
  const at = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) at.set(idAt(ids, i), i);
  for (const r of records) {
    const i = at.get(r.id);
    if (i !== undefined) out.put(i, r);
  }
  return out;
}
