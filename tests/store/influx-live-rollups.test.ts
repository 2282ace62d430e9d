// The InfluxDB store's rollups of live data, folded from the lines it writes: a closed minute's
// and hour's line holds what the re-aggregation statements would compute from raw (names,
// integer counts, bad reads left out, digital points as 0/1), and what the fold cannot know
// whole is handed out as dirty instead of written.
import { describe, expect, it } from 'vitest';
import type { Sample } from '../../src/model.ts';
import type { Line } from '../../src/store/influx/lines.ts';
import { DEVICES_PER_STATEMENT, DirtyBuckets } from '../../src/store/influx/dirty.ts';
import { LiveRollups, newRollupOutput } from '../../src/store/influx/live-rollups.ts';

const H0 = Date.UTC(2026, 0, 15, 8);
const MIN = 60_000;
const HOUR = 3_600_000;
const live = () => 'live' as const;

function line(ts: number, points: Record<string, [Sample['value'], Sample['quality']?]>, station = 'hs-1'): Line {
  return { station, device: 'plc', ts, points: new Map(Object.entries(points).map(([k, [value, quality]]) => [k, { value, quality: quality ?? 'good' }])) };
}

describe('live rollups', () => {
  it('write a closed minute with its fields aggregated; the first minute after start is dirty instead', () => {
    const r = new LiveRollups((st) => (st === 'hs-1' ? 'north side' : undefined));
    const out = newRollupOutput();
    r.fold([line(H0 + 50_000, { t: [70] })], live, out); // the first minute: samples may predate the start
    r.fold(
      [
        line(H0 + MIN + 0, { t: [71.5], run: [true], p: [null, 'bad'] }),
        line(H0 + MIN + 20_000, { t: [70], run: [false], p: [0.4, 'uncertain'] }),
        line(H0 + MIN + 10_000, { t: [73], run: [true] }), // out of order inside the open minute
      ],
      live,
      out,
    );
    expect(out.m1).toEqual([]);
    expect(out.dirtyMinutes.list()).toEqual([[H0, ['hs-1.plc']]]);
    r.fold([line(H0 + 2 * MIN, { t: [69] })], live, out);
    expect(out.m1).toEqual([
      `poll_1m,area=north\\ side,device=plc,station=hs-1 sum_t=214.5,count_t=3i,min_t=70,max_t=73,last_t=70,sum_run=2,count_run=3i,min_run=0,max_run=1,last_run=0,sum_p=0.4,count_p=1i,min_p=0.4,max_p=0.4,last_p=0.4 ${H0 + MIN}`,
    ]);
    // the hour is still open, and the first hour after start will be dirty too
    expect(out.h1).toEqual([]);
    r.fold([line(H0 + HOUR, { t: [60] }), line(H0 + HOUR + MIN, { t: [61] })], live, out);
    expect(out.dirtyHours.list()).toEqual([[H0, ['hs-1.plc']]]);
    r.fold([line(H0 + 2 * HOUR, { t: [62] })], live, out);
    expect(out.h1).toEqual([`poll_1h,area=north\\ side,device=plc,station=hs-1 sum_sum_t=121,sum_count_t=2i,min_min_t=60,max_max_t=61,last_last_t=61 ${H0 + HOUR}`]);
  });

  it('write the sums of a float point at its resolution, as its values were written', () => {
    const r = new LiveRollups(() => undefined, (point) => (point === 'hs-1.plc.t' ? 0.1 : 0));
    r.seed(H0, []);
    const out = newRollupOutput();
    // 0.1 + 0.2 is 0.30000000000000004 in doubles: written 0.3; u has no resolution and keeps it
    r.fold([line(H0, { t: [0.1], u: [0.1] }), line(H0 + 10_000, { t: [0.2], u: [0.2] })], live, out);
    r.fold([line(H0 + MIN, { t: [0.3], u: [0.3] })], live, out);
    expect(out.m1).toEqual([
      `poll_1m,device=plc,station=hs-1 sum_t=0.3,count_t=2i,min_t=0.1,max_t=0.2,last_t=0.2,sum_u=${0.1 + 0.2},count_u=2i,min_u=0.1,max_u=0.2,last_u=0.2 ${H0}`,
    ]);
  });

  it('fold a first bucket raw held nothing of at start; one it held lines of is dirty', () => {
    const r = new LiveRollups(() => undefined);
    r.seed(H0, [{ station: 'hs-1', device: 'plc', ts: H0 + 30_000 }]);
    const out = newRollupOutput();
    r.fold([line(H0 + 40_000, { a: [1] }), line(H0 + 40_000, { a: [2] }, 'hs-2')], live, out);
    r.fold([line(H0 + MIN, { a: [1] }), line(H0 + MIN, { a: [2] }, 'hs-2')], live, out);
    expect(out.m1).toEqual([`poll_1m,device=plc,station=hs-2 sum_a=2,count_a=1i,min_a=2,max_a=2,last_a=2 ${H0}`]);
    expect(out.dirtyMinutes.list()).toEqual([[H0, ['hs-1.plc']]]); // hs-1's: raw held a line of it; not hs-2's
    const end = newRollupOutput();
    r.closeAll(end);
    expect(end.dirtyHours.list()).toEqual([[H0, ['hs-1.plc']]]); // hs-1's hour; hs-2's is written
    expect(end.h1).toEqual([`poll_1h,device=plc,station=hs-2 sum_sum_a=4,sum_count_a=2i,min_min_a=2,max_max_a=2,last_last_a=2 ${H0}`]);
  });

  it('fold a poll split over two writes once: its first half comes again in the merged line', () => {
    const r = new LiveRollups(() => undefined);
    const out = newRollupOutput();
    r.fold([line(H0 + 5_000, { a: [1] })], live, out);
    r.fold([line(H0 + MIN, { a: [1], b: [2] })], live, out);
    r.fold([line(H0 + MIN, { a: [1], b: [2], c: [3] })], live, out); // the second half, merged with the first
    r.fold([line(H0 + 2 * MIN, { a: [1] })], live, out);
    expect(out.m1).toEqual([`poll_1m,device=plc,station=hs-1 sum_a=1,count_a=1i,min_a=1,max_a=1,last_a=1,sum_b=2,count_b=1i,min_b=2,max_b=2,last_b=2,sum_c=3,count_c=1i,min_c=3,max_c=3,last_c=3 ${H0 + MIN}`]);
  });

  it('hand out as dirty what they cannot know whole: a corrected replay, a closed minute, a late line', () => {
    const r = new LiveRollups(() => undefined);
    const out = newRollupOutput();
    r.fold([line(H0 + 5_000, { a: [1] }), line(H0 + MIN, { a: [1] })], live, out);
    r.fold([line(H0 + MIN, { a: [5] })], live, out); // the same ts again with another value
    r.fold([line(H0 + 2 * MIN, { a: [1] })], live, out);
    expect(out.m1).toEqual([]);
    expect(out.dirtyMinutes.list()).toEqual([[H0, ['hs-1.plc']], [H0 + MIN, ['hs-1.plc']]]);
    const late = newRollupOutput();
    r.fold([line(H0 + MIN + 30_000, { a: [2] })], live, late); // for a minute already closed
    expect(late.dirtyMinutes.list()).toEqual([[H0 + MIN, ['hs-1.plc']]]);
    // a late line not newer than what was folded (a replay) marks its minute, and the open minute it falls in
    const replay = newRollupOutput();
    r.fold([line(H0 + 2 * MIN + 5_000, { a: [2] })], live, replay);
    r.fold([line(H0 + 2 * MIN + 1_000, { a: [3] })], () => 'late', replay);
    r.fold([line(H0 + 3 * MIN, { a: [1] })], live, replay);
    expect(replay.m1).toEqual([]);
    expect(replay.dirtyMinutes.list()).toEqual([[H0 + 2 * MIN, ['hs-1.plc']]]);
  });

  it('fold a late backlog written in order like live lines; a line ahead of the clock, or late and not newer than what raw held at start, is dirty', () => {
    const r = new LiveRollups(() => undefined);
    r.seed(H0, [{ station: 'hs-1', device: 'plc', ts: H0 + 10_000 }]);
    const out = newRollupOutput();
    const late = () => 'late' as const;
    // hs-2: raw held nothing of this hour; its lines come two minutes late, in order
    r.fold([line(H0 + 5_000, { a: [1] }, 'hs-2'), line(H0 + 35_000, { a: [3] }, 'hs-2'), line(H0 + MIN + 5_000, { a: [2] }, 'hs-2')], late, out);
    expect(out.m1).toEqual([`poll_1m,device=plc,station=hs-2 sum_a=4,count_a=2i,min_a=1,max_a=3,last_a=3 ${H0}`]);
    // hs-1: a late line not newer than raw's newest at start may be written already; a newer one folds
    r.fold([line(H0 + 10_000, { a: [9] }), line(H0 + 2 * MIN, { a: [5] })], late, out);
    // ahead of the clock: never folded
    r.fold([line(H0 + 2 * MIN + 5_000, { a: [7] }, 'hs-3')], () => 'ahead', out);
    expect(out.dirtyMinutes.list()).toEqual([[H0, ['hs-1.plc']], [H0 + 2 * MIN, ['hs-3.plc']]]);
    const end = newRollupOutput();
    r.closeAll(end);
    expect(end.m1).toEqual([
      `poll_1m,device=plc,station=hs-2 sum_a=2,count_a=1i,min_a=2,max_a=2,last_a=2 ${H0 + MIN}`,
      `poll_1m,device=plc,station=hs-1 sum_a=5,count_a=1i,min_a=5,max_a=5,last_a=5 ${H0 + 2 * MIN}`,
    ]);
    // hs-1's hour held lines before the start
    expect(end.dirtyHours.list()).toEqual([[H0, ['hs-1.plc']]]);
    expect(end.dirtyMinutes.list()).toEqual([]);
    expect(end.h1).toEqual([`poll_1h,device=plc,station=hs-2 sum_sum_a=6,sum_count_a=3i,min_min_a=1,max_max_a=3,last_last_a=2 ${H0}`]);
  });

  it('write the buckets of a device that stopped once they ended, and the open ones as far as they go at the end', () => {
    const r = new LiveRollups(() => undefined);
    const out = newRollupOutput();
    r.fold([line(H0 + 5_000, { a: [1] }), line(H0 + MIN + 5_000, { a: [2] }, 'hs-1'), line(H0 + MIN + 5_000, { a: [4] }, 'hs-2')], live, out);
    r.fold([line(H0 + 2 * MIN, { a: [3] }, 'hs-2')], live, out);
    const swept = newRollupOutput();
    r.sweep(H0 + 2 * MIN, swept); // hs-1's minute ended; hs-2 moved on
    expect(swept.m1).toEqual([`poll_1m,device=plc,station=hs-1 sum_a=2,count_a=1i,min_a=2,max_a=2,last_a=2 ${H0 + MIN}`]);
    r.sweep(H0 + 2 * MIN, swept); // nothing twice
    expect(swept.m1).toHaveLength(1);
    const closed = newRollupOutput();
    r.closeAll(closed);
    expect(closed.m1).toEqual([`poll_1m,device=plc,station=hs-2 sum_a=3,count_a=1i,min_a=3,max_a=3,last_a=3 ${H0 + 2 * MIN}`]); // hs-2's open minute, known whole
    expect(closed.dirtyMinutes.list()).toEqual([]);
    expect(closed.dirtyHours.list()).toEqual([[H0, ['hs-1.plc', 'hs-2.plc']]]); // the first hour after start of both devices
    expect(closed.h1).toEqual([]);
  });
});

describe('dirty buckets', () => {
  const a = { station: 'hs-1', device: 'plc' };
  const b = { station: "o'hare", device: 'plc' };

  it('re-aggregate each run of buckets for the devices that need it, quoted, a bounded list per statement', () => {
    const d = new DirtyBuckets();
    d.add(H0, a);
    d.add(H0 + MIN, b);
    d.add(H0 + MIN, a);
    d.add(H0 + 5 * MIN, b);
    expect(d.list()).toEqual([[H0, ['hs-1.plc']], [H0 + MIN, ['hs-1.plc', "o'hare.plc"]], [H0 + 5 * MIN, ["o'hare.plc"]]]);
    const one = (st: string) => `("station" = '${st}' AND "device" = 'plc')`;
    expect(d.statements(MIN, 6 * HOUR)).toEqual([
      `time >= ${H0}ms AND time < ${H0 + 2 * MIN}ms AND (${one('hs-1')} OR ${one("o\\'hare")})`,
      `time >= ${H0 + 5 * MIN}ms AND time < ${H0 + 6 * MIN}ms AND (${one("o\\'hare")})`,
    ]);
    // a run longer than the chunk is split
    expect(d.statements(MIN, MIN)).toHaveLength(3);
    const many = new DirtyBuckets();
    for (let i = 0; i < DEVICES_PER_STATEMENT + 1; i++) many.add(H0, { station: `hs-${i}`, device: 'plc' });
    const split = many.statements(MIN, HOUR);
    expect(split).toHaveLength(2);
    expect(split[1]).toBe(`time >= ${H0}ms AND time < ${H0 + MIN}ms AND (${one(`hs-${DEVICES_PER_STATEMENT}`)})`);
  });

  it('a bucket dirty for every device has no device filter; minutes carry their devices to their hours', () => {
    const m = new DirtyBuckets();
    m.add(H0 + MIN, a);
    m.add(H0 + 2 * MIN, null);
    m.add(H0 + 2 * MIN, b); // already every device
    expect(m.list()).toEqual([[H0 + MIN, ['hs-1.plc']], [H0 + 2 * MIN, null]]);
    expect(m.statements(MIN, HOUR)).toEqual([`time >= ${H0 + MIN}ms AND time < ${H0 + 3 * MIN}ms`]);
    const h = new DirtyBuckets();
    h.add(H0 + HOUR, b);
    const only = new DirtyBuckets();
    only.add(H0 + 30 * MIN, a);
    h.addAll(only, HOUR);
    expect(h.list()).toEqual([[H0, ['hs-1.plc']], [H0 + HOUR, ["o'hare.plc"]]]);
  });
});
