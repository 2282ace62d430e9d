/**
 * Rollup buckets to re-aggregate, each with the devices that need it (pure). A late line of one
 * device must not cost influxd the bucket of every device: at 5,000 stations one hour
 * re-aggregated from the 1-minute rows over every device ran for minutes and took influxd to
 * over 10 GB. So a dirty bucket names its devices, and the statements filter on them.
 *
 * @example
 * const d = new DirtyBuckets();
 * d.add(minute, { station: 'hs-1', device: 'plc' });
 * for (const s of d.statements(MINUTE, 6 * HOUR)) exec(`${select} WHERE ${s.where} GROUP BY time(1m), *`);
 */
import { ident, lit } from './schema.ts';

export interface DeviceTags {
  station: string;
  device: string;
}

/** Devices one statement filters on at most (a longer list is split over several). */
export const DEVICES_PER_STATEMENT = 100;

export class DirtyBuckets {
  /** bucket start → its devices by `station\0device`; null: every device (which ones is not known) */
  private readonly buckets = new Map<number, Map<string, DeviceTags> | null>();

  get size(): number {
    return this.buckets.size;
  }

  /** Marks `bucket` dirty for `device`, or for every device (null). */
  add(bucket: number, device: DeviceTags | null): void {
    const devs = this.buckets.get(bucket);
    if (devs === null) return;
    if (device === null) {
      this.buckets.set(bucket, null);
      return;
    }
    const key = `${device.station}\0${device.device}`;
    if (devs === undefined) this.buckets.set(bucket, new Map([[key, device]]));
    else if (!devs.has(key)) devs.set(key, device);
  }

  /** The buckets in order, each with its devices as `station.device`, sorted (null: every device). */
  list(): Array<[number, string[] | null]> {
    return [...this.buckets.entries()]
      .sort(([a], [b]) => a - b)
      .map(([b, devs]) => [b, devs === null ? null : [...devs.values()].map((d) => `${d.station}.${d.device}`).sort()]);
  }

  /** Adds every bucket of `other`, each moved to the start of its `width` bucket (a minute's hour). */
  addAll(other: DirtyBuckets, width?: number): void {
    for (const [b, devs] of other.buckets) {
      const to = width ? Math.floor(b / width) * width : b;
      if (devs === null) this.add(to, null);
      else for (const d of devs.values()) this.add(to, d);
    }
  }

  /**
   * The WHERE clauses that cover every dirty bucket (of `width`) for its devices: consecutive
   * buckets joined into ranges of at most `chunk`, each range filtered on the devices of its
   * buckets, at most {@link DEVICES_PER_STATEMENT} per clause. A device of one bucket may be
   * re-aggregated over the whole range: harmless (the same rows again), and far fewer statements.
   */
  statements(width: number, chunk: number): string[] {
    const starts = [...this.buckets.keys()].sort((a, b) => a - b);
    const out: string[] = [];
    let from = Number.NaN;
    let to = Number.NaN;
    let devs: Map<string, DeviceTags> | null = new Map();
    const emit = () => {
      const time = `time >= ${from}ms AND time < ${to}ms`;
      if (devs === null) return void out.push(time);
      const list = [...devs.values()];
      for (let i = 0; i < list.length; i += DEVICES_PER_STATEMENT) {
        const or = list.slice(i, i + DEVICES_PER_STATEMENT).map((d) => `(${ident('station')} = ${lit(d.station)} AND ${ident('device')} = ${lit(d.device)})`);
        out.push(`${time} AND (${or.join(' OR ')})`);
      }
    };
    for (const s of starts) {
      if (to === s && to - from < chunk) to = s + width;
      else {
        if (!Number.isNaN(from)) emit();
        from = s;
        to = s + width;
        devs = new Map();
      }
      const mine = this.buckets.get(s)!;
      if (mine === null || devs === null) devs = null;
      else for (const [k, d] of mine) devs.set(k, d);
    }
    if (!Number.isNaN(from)) emit();
    return out;
  }
}
