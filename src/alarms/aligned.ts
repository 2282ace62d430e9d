/**
 * Puts records into columns kept in `ids` order: by position when the records are a copy of
 * such columns (a JSON copy of a state of the same engine), else by id; records of ids not
 * among `ids` are dropped.
 */
export function putAligned<R extends { id: string }>(ids: readonly string[], records: readonly R[], put: (i: number, r: R) => void): void {
  if (records.length === ids.length && records.every((r, i) => r.id === ids[i])) {
    records.forEach((r, i) => put(i, r));
    return;
  }
  const at = new Map(ids.map((id, i) => [id, i]));
  for (const r of records) {
    const i = at.get(r.id);
    if (i !== undefined) put(i, r);
  }
}
