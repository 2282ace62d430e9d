/**
 * Stable station → shard assignment for `collect --shard K/N`: FNV-1a (32 bit) of the station
 * id modulo N. Depends only on the id and N — not on the order or number of stations in the
 * config — so a station stays with its collector when others are added or removed.
 *
 * @example
 * shardOf('hs-001', 2) // 0 or 1, always the same
 */
export function shardOf(stationId: string, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < stationId.length; i++) {
    h ^= stationId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % n;
}

/** `K/N` with 1 ≤ K ≤ N → { k, n }; throws a message naming the flag otherwise. */
export function parseShard(s: string): { k: number; n: number } {
  const m = /^(\d+)\/(\d+)$/.exec(s.trim());
  const k = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || !(n >= 1 && k >= 1 && k <= n && n <= 1024)) throw new Error(`--shard must be K/N with 1 ≤ K ≤ N ≤ 1024, got '${s}'`);
  return { k, n };
}

/** The stations shard K (1-based) of N polls. */
export function inShard(stationId: string, k: number, n: number): boolean {
  return shardOf(stationId, n) === k - 1;
}
