/**
 * How ids are stored as V8 strings. Internalized copies are flat and deduplicated, so every
 * holder of an id (the alarm engine, the latest values, the store's slots) shares one string
 * object, compares it by pointer and hashes it once; the keys of an object are internalized.
 * Own copies ({@link ownStrings}, at config load) hold their characters at one byte each
 * where they can, so the ids built from them do too.
 */

/** The one internalized copy of `s`. */
export function intern(s: string): string {
  return Object.keys({ [s]: 0 })[0];
}

/** {@link intern} for a list, in the order given. */
export function internalize(list: readonly string[]): string[] {
  const o = Object.create(null) as Record<string, 0>;
  for (const s of list) o[s] = 0;
  const own = new Map<string, string>();
  for (const k of Object.keys(o)) own.set(k, k);
  return list.map((s) => own.get(s) ?? s);
}

/**
 * A flat copy of `s` that holds its own characters, one byte each when they are all ASCII.
 * A string a parser cut from a larger text keeps that whole text alive (a 5,000-station
 * config is ~5 MB of it), and when the text has one character beyond Latin-1 (a Chinese
 * station name) every string cut from it, and every id later built from those, is stored at
 * two bytes per character: 610,000 point ids took 42 MB instead of ~26 MB. A string the copy
 * would change (a lone surrogate) is returned as it is.
 */
export function ownCopy(s: string): string {
  const c = Buffer.from(s, 'utf8').toString('utf8');
  return c === s ? c : s;
}

/** {@link ownCopy} of every string in a parsed document (plain objects and arrays), in place; returns `v`. */
export function ownStrings<T>(v: T, seen = new WeakSet<object>()): T {
  // a YAML alias makes one object appear twice, or inside itself
  if (v === null || typeof v !== 'object' || seen.has(v)) return v;
  seen.add(v);
  const own = (x: unknown) => (typeof x === 'string' ? ownCopy(x) : ownStrings(x, seen));
  if (Array.isArray(v)) for (let i = 0; i < v.length; i++) v[i] = own(v[i]);
  else for (const k of Object.keys(v)) (v as Record<string, unknown>)[k] = own((v as Record<string, unknown>)[k]);
  return v;
}
