/**
 * The 1-minute and 1-hour rollups of live data, folded by the store from the lines it writes
 * (pure; no I/O). Continuous queries made influxd re-read every point field of every device
 * on each run: at 100 stations × 120 points one run of the 1-minute CQ cost influxd ~3.8 s of
 * CPU, and at 1,000 stations the CQ alone kept influxd above a core. Folding the samples as
 * they are written costs a few array updates per sample instead.
 *
 * Per device, one open bucket per level; its fields' count, sum, min, max and last (by ts).
 * A line for a later bucket closes the open one: its rollup line is handed out with the fields
 * that had a usable value, named and typed as the re-aggregation statements
 * (setup.ts `rollupSelect1m` / `rollupSelect1h`) write them, so either may overwrite the other.
 *
 * What this cannot know exactly is re-aggregated from raw by the store instead (its minutes
 * are handed out as dirty):
 * - the first bucket of each level after start when samples of it were written before (what raw
 *   held at start is read once, {@link LiveRollups.seed});
 * - a bucket a sample arrives for after it was closed (out of order);
 * - a sample written again for a ts already folded, with another value (a corrected replay);
 * - lines ahead of the clock, and late lines not newer than what their device had folded or
 *   written before the start (a replay, an import: they may be counted already), which also
 *   leave an open bucket they fall in inexact. A late line newer than that (a backlog written
 *   in order after an outage or at a stop) is folded like a live one.
 * Dirty buckets name their devices (./dirty.ts): only those are re-aggregated. So a restart
 * within a bucket costs influxd one re-aggregation of it over the devices that were writing
 * (the minute from raw, the hour from the 1-minute rows): the price of not keeping the open
 * buckets anywhere across a restart.
 */
import { addValue, FIGURES as ACC, F_COUNT as COUNT, F_LAST as LAST, F_LAST_TS as LAST_TS, F_MAX as MAX, F_MIN as MIN, F_SUM as SUM, firstValue } from '../figures.ts';
import { DirtyBuckets, type DeviceTags } from './dirty.ts';
import { atResolution } from '../codec/spec.ts';
import { escKey, type Line, type ResolutionOf } from './lines.ts';
import { HOUR, MINUTE, ROLLUP_1H, ROLLUP_1M } from './schema.ts';

/** One level (minute or hour) of one device. */
class Level {
  /** start of the open bucket, NaN while none */
  bucket = Number.NaN;
  /** the open bucket's figures are not all of it (see the module comment): re-aggregate it */
  inexact = false;
  /** no bucket opened yet since start: the first one may have samples written before */
  private fresh = true;
  acc = new Float64Array(0);

  constructor(readonly width: number) {}

  /**
   * Opens a bucket with no field counted (the first `n` fields' counts reset). `writtenBefore`:
   * the device's newest ts written before the start (see {@link LiveRollups.seed}).
   */
  open(bucket: number, n: number, writtenBefore: number): void {
    this.bucket = bucket;
    this.inexact = this.fresh && writtenBefore >= bucket;
    this.fresh = false;
    for (let k = 0; k < n; k++) this.acc[k * ACC + COUNT] = 0;
  }
}

/** A line's time against the clock when written (the store's LATE_MS and AHEAD_MS). */
export type LineAge = 'live' | 'late' | 'ahead';

/** Rollup lines to write and minutes to re-aggregate, collected by {@link LiveRollups}. */
export interface RollupOutput {
  /** lines for `rollup_1m` / `rollup_1h` */
  m1: string[];
  h1: string[];
  /** the device of each line (a line that fails to be written is re-aggregated for its device) */
  m1Devices: DeviceTags[];
  h1Devices: DeviceTags[];
  /** minutes to re-aggregate from raw (their hours with them), with their devices */
  dirtyMinutes: DirtyBuckets;
  /** hours to re-aggregate from the 1-minute rollup, with their devices */
  dirtyHours: DirtyBuckets;
}

export const newRollupOutput = (): RollupOutput => ({ m1: [], h1: [], m1Devices: [], h1Devices: [], dirtyMinutes: new DirtyBuckets(), dirtyHours: new DirtyBuckets() });

class DeviceRollup {
  readonly fields = new Map<string, number>();
  readonly names: string[] = [];
  /** each field's resolution (0: none): its sums are written at it, as its values are */
  readonly resolution: number[] = [];
  readonly m = new Level(MINUTE);
  readonly h = new Level(HOUR);

  /**
   * `tags`: `area=…,device=…,station=… `, the raw line's tags in key order; `writtenBefore`:
   * the device's newest ts written before the start
   */
  /** newest ts folded, or written before the start */
  newest: number;

  constructor(
    readonly tags: string,
    readonly writtenBefore: number,
    readonly id: DeviceTags,
  ) {
    this.newest = writtenBefore;
  }

  field(name: string, resolutionOf: ResolutionOf): number {
    let k = this.fields.get(name);
    if (k !== undefined) return k;
    k = this.names.length;
    this.fields.set(name, k);
    this.names.push(escKey(name));
    this.resolution.push(resolutionOf(`${this.id.station}.${this.id.device}.${name}`));
    for (const l of [this.m, this.h]) {
      if (l.acc.length < (k + 1) * ACC) {
        const next = new Float64Array(Math.max((k + 1) * ACC, l.acc.length * 2));
        next.set(l.acc);
        l.acc = next;
      }
      l.acc[k * ACC + COUNT] = 0;
    }
    return k;
  }
}

export class LiveRollups {
  private readonly devices = new Map<string, DeviceRollup>();
  /** newest ts written before the start, by device, from `since` on; null: not known */
  private before: { since: number; last: Map<string, number> } | null = null;

  constructor(
    private readonly areaOf: (station: string) => string | undefined,
    private readonly resolutionOf: ResolutionOf = () => 0,
  ) {}

  /**
   * What raw held at start: each device's newest ts from `since` on (devices without one had
   * none). A first bucket that starts after it is known whole; without a seed every first
   * bucket is taken as not known whole.
   */
  seed(since: number, last: ReadonlyArray<{ station: string; device: string; ts: number }>): void {
    this.before = { since, last: new Map(last.map((x) => [`${x.station}\0${x.device}`, x.ts])) };
  }

  /**
   * Folds lines just written to raw. `age(ts)` tells a line's time against the clock: live lines
   * are folded; a late line is folded when it is newer than anything of its device folded or
   * written before the start (a backlog drained in order, never seen here, so never counted
   * twice); the others (ahead of the clock, or late and older: a replay, an import) only mark
   * their minute dirty and leave an open bucket they fall in inexact.
   */
  fold(lines: Iterable<Line>, age: (ts: number) => LineAge, out: RollupOutput): void {
    for (const line of lines) {
      const d = this.device(line);
      const ts = line.ts;
      const a = age(ts);
      if (a === 'ahead' || (a === 'late' && !(ts > d.newest))) {
        out.dirtyMinutes.add(Math.floor(ts / MINUTE) * MINUTE, d.id);
        for (const l of [d.m, d.h]) if (Math.floor(ts / l.width) * l.width === l.bucket) l.inexact = true;
        continue;
      }
      for (const l of [d.m, d.h]) this.foldLevel(d, l, line, out);
      if (ts > d.newest) d.newest = ts;
    }
  }

  /** Closes every open bucket that ended at or before `before` (devices that stopped polling). */
  sweep(before: number, out: RollupOutput): void {
    for (const d of this.devices.values()) {
      for (const l of [d.m, d.h]) if (l.bucket + l.width <= before) this.close(d, l, out);
    }
  }

  /**
   * Closes every open bucket (the store closes): its line holds what was written of it so far,
   * and the next start takes that bucket as not known whole. Re-aggregating every device's open
   * hour instead held a 5,000-station stop for minutes of influxd's CPU.
   */
  closeAll(out: RollupOutput): void {
    for (const d of this.devices.values()) for (const l of [d.m, d.h]) this.close(d, l, out);
    this.devices.clear();
  }

  private device(line: Line): DeviceRollup {
    const key = `${line.station}\0${line.device}`;
    let d = this.devices.get(key);
    if (!d) {
      const area = this.areaOf(line.station);
      const b = this.before;
      // not seeded: anything may have been written; seeded: only what it saw, and nothing it did not look at
      const writtenBefore = b === null ? Infinity : (b.last.get(key) ?? b.since - 1);
      d = new DeviceRollup(`${area ? `area=${escKey(area)},` : ''}device=${escKey(line.device)},station=${escKey(line.station)} `, writtenBefore, {
        station: line.station,
        device: line.device,
      });
      this.devices.set(key, d);
    }
    return d;
  }

  private foldLevel(d: DeviceRollup, l: Level, line: Line, out: RollupOutput): void {
    const ts = line.ts;
    const b = Math.floor(ts / l.width) * l.width;
    if (b !== l.bucket) {
      if (b < l.bucket) {
        // closed already: re-aggregated from raw
        (l === d.m ? out.dirtyMinutes : out.dirtyHours).add(b, d.id);
        return;
      }
      this.close(d, l, out);
      l.open(b, d.names.length, d.writtenBefore);
    }
    for (const [name, s] of line.points) {
      if (s.quality === 'bad' || s.value === null) continue;
      const v = typeof s.value === 'boolean' ? (s.value ? 1 : 0) : s.value;
      const k = d.field(name, this.resolutionOf);
      const a = l.acc;
      const o = k * ACC;
      if (a[o + COUNT] === 0) firstValue(a, o, ts, v);
      else if (ts !== a[o + LAST_TS]) addValue(a, o, ts, v);
      // else this ts was folded (the first half of a poll merged into its second): nothing to add
      else if (v !== a[o + LAST]) l.inexact = true;
    }
  }

  /** Hands out the open bucket's rollup line (or its minute as dirty when inexact) and closes it. */
  private close(d: DeviceRollup, l: Level, out: RollupOutput): void {
    const b = l.bucket;
    if (Number.isNaN(b)) return;
    l.bucket = Number.NaN;
    if (l.inexact) {
      (l === d.m ? out.dirtyMinutes : out.dirtyHours).add(b, d.id);
      l.inexact = false;
      return;
    }
    const a = l.acc;
    const hour = l === d.h;
    let fields = '';
    for (let k = 0; k < d.names.length; k++) {
      const o = k * ACC;
      const n = a[o + COUNT];
      if (n === 0) continue;
      const f = d.names[k];
      // the values were written at the point's resolution, so their min, max and last are; a
      // sum of them only carries the float addition's noise
      const sum = atResolution(a[o + SUM], d.resolution[k]);
      // the names and types the re-aggregation statements write: counts are integers
      fields += hour
        ? `sum_sum_${f}=${sum},sum_count_${f}=${n}i,min_min_${f}=${a[o + MIN]},max_max_${f}=${a[o + MAX]},last_last_${f}=${a[o + LAST]},`
        : `sum_${f}=${sum},count_${f}=${n}i,min_${f}=${a[o + MIN]},max_${f}=${a[o + MAX]},last_${f}=${a[o + LAST]},`;
    }
    if (!fields) return;
    const line = `${hour ? ROLLUP_1H.measurement : ROLLUP_1M.measurement},${d.tags}${fields.slice(0, -1)} ${b}`;
    (hour ? out.h1 : out.m1).push(line);
    (hour ? out.h1Devices : out.m1Devices).push(d.id);
  }
}
