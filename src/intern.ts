/**
 * V8's internalized copies of strings: flat and deduplicated, so every holder of an id (the
 * alarm engine, the latest values, the store's slots) shares one string object, compares it by
 * pointer and hashes it once. The keys of an object are internalized.
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
