/** Columns kept in `ids` order that JSON holds as records (point-states.ts, alarm-states.ts). */
interface RecordColumns<R> {
  readonly ids: readonly string[];
  put(i: number, r: R): void;
  toJSON(): R[];
}

/**
 * The columns for `ids` from what a state holds: the held columns themselves when they are for
 * the same ids, else new columns with the records (or columns) of the same ids put in, by
 * position when they are a copy of such columns (a JSON copy of a state of the same engine),
 * else by id; records of ids not among `ids` are dropped, the other ids start afresh.
 */
export function columnsFrom<R extends { id: string }, C extends RecordColumns<R>>(
  ids: readonly string[],
  held: C | readonly R[] | undefined,
  Columns: new (ids: readonly string[]) => C,
): C {
  if (held instanceof Columns && held.ids === ids) return held;
  const out = new Columns(ids);
  if (!held) return out;
  const records: readonly R[] = held instanceof Columns ? held.toJSON() : (held as readonly R[]);
  if (records.length === ids.length && records.every((r, i) => r.id === ids[i])) {
    records.forEach((r, i) => out.put(i, r));
    return out;
  }
  const at = new Map(ids.map((id, i) => [id, i]));
  for (const r of records) {
    const i = at.get(r.id);
    if (i !== undefined) out.put(i, r);
  }
  return out;
}
