/**
 * Fills the daily table: every station's figures (daily.ts) of a local day from per-minute
 * series read from the series store. Reading a day of minutes costs the store about as much as
 * the day has rows, so today is kept up to date incrementally and whole days are read only when
 * they are final:
 * - today: each run folds the minutes that have settled (older than SETTLE_MS) into per-station
 *   sums, each counter carrying its last value, and adds the unsettled tail read afresh; after a
 *   restart, or for a station whose samples arrive later than its settled minutes, the day so
 *   far is read whole again;
 * - yesterday: read whole once after midnight, its counters beyond both ends (up to 24 h where
 *   a gap needs it, so a gap across midnight splits between the days); again for a station
 *   whose counter gap across midnight closes later;
 * - any older day late samples arrived for, and one day without rows of the last
 *   `backfillDays` per run (only its stations with data).
 * Computing a day again gives the same rows from the same samples (idempotent).
 */
import type { Logger } from 'pino';
import { MinuteOfDay } from '../alarms/setback.ts';
import type { Sample } from '../model.ts';
import type { SeriesStore } from '../store/port.ts';
import { finishParts, mergeParts, windowParts, type WindowParts } from './daily.ts';
import { addDays, dayBounds, dayOf } from './days.ts';
import { MINUTE_MS } from './increase.ts';
import { stationInputs, type StationInputs } from './inputs.ts';
import type { DailyRow } from './ranking.ts';
import type { DailyStore } from './store.ts';
import { readWindow, type ReaderContext, type StationWindow, type WindowSpec } from './window-reader.ts';

/** how far beyond a day its counters are read, so a gap across midnight is spread */
export const LOOKAROUND_MS = 24 * 3_600_000;
/** minutes older than this are taken as complete (later samples mark the day for a whole read) */
export const SETTLE_MS = 5 * 60_000;
/** how far beyond a day its counters are read first (most meters report every few minutes) */
const NEAR_MS = 2 * 3_600_000;
/** minute values read per chunk of stations: a few tenths of a second of the store's time */
const CHUNK_VALUES = 60_000;

export interface AnalyticsJobOptions {
  stations: ReadonlyArray<Parameters<typeof stationInputs>[0]>;
  settings: { hddBaseC: number; curveDeviationK: number };
  timeZone: string;
  series: Pick<SeriesStore, 'query'>;
  daily: DailyStore;
  /** station context codes at a past instant (src/modes/history.ts); absent: always in service */
  contexts?: (stationIds: readonly string[], at: number) => Uint8Array;
  logger?: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** stations per store read (default: as many as make about 60,000 minute values) */
  chunk?: number;
  /** missing days this far back are filled, one per run (default 7) */
  backfillDays?: number;
  /** per-minute chunk of the store reads (tests: ≤ 360 keeps them on raw samples) */
  chunkMinutes?: number;
}

export interface JobRun {
  days: string[];
  rows: number;
}

/** What a run knows of a station's today: the settled minutes' sums and each counter's last value. */
interface Today {
  parts: WindowParts | null;
  /** per counter: the minute to read it from (its last settled value's), or null: not yet looked for */
  carry: Array<number | null>;
}

export class AnalyticsJob {
  private readonly inputs: StationInputs[];
  private readonly ctx: ReaderContext;
  private readonly computedAt = new Map<string, number>();
  /** day → stations whose row must be read whole again (null: all) */
  private readonly dirty = new Map<string, Set<string> | null>();
  private today: { day: string; settledTo: number; stations: Map<string, Today> } | null = null;
  private lateBefore = -Infinity;
  private cancelled = false;
  /** runs one after the other: a run uses and advances today's state */
  private queue: Promise<unknown> = Promise.resolve();
  private finished = 0;

  /** runs completed since start */
  get runsDone(): number {
    return this.finished;
  }

  constructor(private readonly o: AnalyticsJobOptions) {
    this.inputs = o.stations.map(stationInputs);
    this.ctx = { series: o.series, minuteOfDay: new MinuteOfDay(o.timeZone), ...(o.contexts ? { contexts: o.contexts } : {}), chunkMinutes: o.chunkMinutes };
  }

  /** Stops a run in progress at its next chunk (the service is closing). */
  cancel(): void {
    this.cancelled = true;
  }

  /** Notes samples older than the settled minutes: their day is read whole at the next run. */
  noteSamples(batch: readonly Sample[]): void {
    const before = this.lateBefore;
    for (let i = 0; i < batch.length; i++) {
      const s = batch[i];
      if (s.ts >= before) continue;
      const day = dayOf(s.ts, this.o.timeZone);
      this.markDirty(day, s.point.slice(0, s.point.indexOf('.')));
    }
  }

  /** {@link noteSamples} for a poll: one station, one ts. */
  notePoll(station: string, ts: number): void {
    if (ts < this.lateBefore) this.markDirty(dayOf(ts, this.o.timeZone), station);
  }

  private markDirty(day: string, station: string | null): void {
    const set = this.dirty.get(day);
    if (set === null) return;
    if (station === null) this.dirty.set(day, null);
    else if (set) set.add(station);
    else this.dirty.set(day, new Set([station]));
  }

  /** The past days a run at `now` reads whole, with the stations (null: all). */
  async dueDays(now: number): Promise<Array<{ day: string; stations: Set<string> | null }>> {
    const today = dayOf(now, this.o.timeZone);
    const yesterday = addDays(today, -1);
    const due = new Map<string, Set<string> | null>();
    // yesterday is final once its last minutes have settled
    if ((this.computedAt.get(yesterday) ?? -Infinity) < dayBounds(yesterday, this.o.timeZone).to + SETTLE_MS) due.set(yesterday, null);
    for (const [day, stations] of [...this.dirty].sort(([a], [b]) => (a < b ? 1 : -1))) {
      if (day >= today || due.has(day)) continue;
      if (due.size >= 3) break;
      due.set(day, stations);
    }
    const back = Array.from({ length: this.o.backfillDays ?? 7 }, (_, i) => addDays(yesterday, -(i + 1))).reverse();
    const missing = (await this.o.daily.missingDays(back)).filter((d) => !this.computedAt.has(d) && !due.has(d));
    if (missing.length) due.set(missing[missing.length - 1], null);
    return [...due].map(([day, stations]) => ({ day, stations }));
  }

  /** Brings the table up to date at `now` (after any run in progress). */
  run(now: number): Promise<JobRun> {
    const next = this.queue.then(() => this.runOnce(now));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async runOnce(now: number): Promise<JobRun> {
    const today = dayOf(now, this.o.timeZone);
    const settledTo = Math.floor((now - SETTLE_MS) / MINUTE_MS) * MINUTE_MS;
    const days: string[] = [];
    let rows = 0;
    // a late sample for today: those stations start today again
    const lateToday = this.dirty.get(today);
    if (lateToday !== undefined && this.today?.day === today) {
      for (const id of lateToday ?? this.today.stations.keys()) this.today.stations.delete(id);
    }
    this.dirty.delete(today);
    rows += await this.updateToday(today, now, settledTo);
    days.push(today);
    // from now on a sample older than the settled minutes is late
    this.lateBefore = this.today?.day === today ? this.today.settledTo : -Infinity;
    for (const { day, stations } of await this.dueDays(now)) {
      if (this.cancelled) break;
      rows += await this.computeDay(day, now, stations ?? undefined);
      if (this.cancelled) break;
      if (stations === null) this.computedAt.set(day, now);
      this.dirty.delete(day);
      days.push(day);
    }
    this.finished++;
    return { days, rows };
  }

  /**
   * Reads a day whole and replaces its rows (of some stations, or all); returns the rows written.
   * Counters are read NEAR_MS beyond the day, and LOOKAROUND_MS for a station whose counter has
   * no value in that margin (a gap at midnight, to be spread over both days).
   */
  async computeDay(day: string, now: number, only?: ReadonlySet<string>): Promise<number> {
    const { from, to } = dayBounds(day, this.o.timeZone);
    if (from > now) return 0;
    const nowMinute = Math.ceil(now / MINUTE_MS) * MINUTE_MS;
    const end = Math.min(to, nowMinute);
    const spec = (margin: number): WindowSpec => ({ start: from, end, counterEnd: Math.min(to + margin, nowMinute), countFrom: from, readFrom: () => from - margin });
    const out = new Map<string, DailyRow | null>();
    const wide = new Set<string>();
    // a station without a sample of its heat meter or supply that day has no row: not read
    const asked = only ? this.inputs.filter((x) => only.has(x.station)) : this.inputs;
    const withData = await this.stationsWithData(asked, (x) => [x.heat[0]?.point ?? null, x.supply ?? x.outdoor], from, end);
    const stations = asked.filter((x) => withData.has(x.station));
    const collect = (x: StationInputs, w: StationWindow) => out.set(x.station, rowOf(x.station, day, windowParts(w.inputs, this.o.settings), this.o.settings));
    let ok = await this.eachChunk(stations, spec(NEAR_MS), (x, w) => {
      collect(x, w);
      if (w.counters.some((c) => gapAtEdge(c.slice.values, c.slice.countFrom, c.slice.from + (to - from) / MINUTE_MS, to + NEAR_MS <= nowMinute))) wide.add(x.station);
    });
    if (ok && wide.size) ok = await this.eachChunk(stations.filter((x) => wide.has(x.station)), spec(LOOKAROUND_MS), collect);
    if (!ok) return 0;
    const rows = [...out.values()].filter((r): r is DailyRow => r !== null);
    await this.o.daily.upsert(rows, now);
    return rows.length;
  }

  /**
   * The stations with a sample in [from, to) of one of the given points (by station), counted
   * per hour: a look that costs little where there is nothing, before reading minutes.
   */
  private async stationsWithData(stations: readonly StationInputs[], pointsOf: (x: StationInputs) => Array<string | null>, from: number, to: number): Promise<Set<string>> {
    const station = new Map<string, string>();
    for (const x of stations) for (const p of pointsOf(x)) if (p) station.set(p, x.station);
    const out = new Set<string>();
    const points = [...station.keys()];
    for (let i = 0; i < points.length && to > from; i += 500) {
      const res = await this.o.series.query({ points: points.slice(i, i + 500), from, to, stepMs: 3_600_000, agg: 'count' });
      for (const r of res) if (r.points.some(([, n]) => n !== null && n > 0)) out.add(station.get(r.point)!);
      await new Promise((r) => setImmediate(r));
    }
    return out;
  }

  /** Today's rows: the settled minutes folded in, the tail read afresh. */
  private async updateToday(day: string, now: number, settledTo: number): Promise<number> {
    const { from, to } = dayBounds(day, this.o.timeZone);
    if (this.today?.day !== day) {
      // a new day: the counters carry on from yesterday's last settled values
      const carried = this.today?.stations;
      this.today = { day, settledTo: from, stations: new Map() };
      for (const [id, t] of carried ?? []) this.today.stations.set(id, { parts: null, carry: t.carry });
    }
    const state = this.today;
    const s0 = state.settledTo;
    const s1 = Math.min(to, Math.max(s0, settledTo));
    const end = Math.min(to, Math.ceil(now / MINUTE_MS) * MINUTE_MS);
    // stations new to today (start-up, a late sample) read the day so far; the others the new minutes
    const fresh = this.inputs.filter((x) => !state.stations.get(x.station)?.parts);
    const known = this.inputs.filter((x) => state.stations.get(x.station)?.parts);
    const rows: DailyRow[] = [];
    // the settled minutes, folded into each station's sums: kept only when every read succeeded
    const next = new Map<string, Today>();
    const carryOf = (id: string, k: number) => state.stations.get(id)?.carry[k] ?? null;
    /** Reads the settled minutes of a group; returns the stations whose counters need a wider margin (null: cancelled). */
    const settle = async (group: readonly StationInputs[], start: number, margin: number, mayWiden: boolean): Promise<Set<string> | null> => {
      const wide = new Set<string>();
      const spec: WindowSpec = { start, end: s1, counterEnd: s1, countFrom: from, readFrom: (id, k) => carryOf(id, k) ?? from - margin };
      const ok = await this.eachChunk(group, spec, (x, w) => {
        // a counter not yet seen with no value in the margin before today: its last value may lie further back
        if (mayWiden && w.counters.some((c, k) => carryOf(x.station, k) === null && lastKnown(c.slice.values, c.slice.countFrom) < 0)) {
          wide.add(x.station);
          return;
        }
        const before = state.stations.get(x.station);
        const parts = windowParts(w.inputs, this.o.settings);
        const t: Today = { parts: before?.parts ? mergeParts(before.parts, parts) : parts, carry: [...(before?.carry ?? [])] };
        w.counters.forEach((c, k) => {
          const last = lastKnown(c.slice.values, c.slice.from + w.inputs.minutes);
          // no value at all: later reads start where this one ended
          t.carry[k] = last >= 0 ? c.readFrom + last * MINUTE_MS : (t.carry[k] ?? s1);
          // a gap across midnight closed: yesterday's share of it is new
          if (straddles(c.slice.values, c.slice.countFrom)) this.markDirty(addDays(day, -1), x.station);
        });
        next.set(x.station, t);
      });
      return ok ? wide : null;
    };
    for (const [group, start] of [[fresh, from], [known, s0]] as const) {
      if (group.length === 0) continue;
      const wide = await settle(group, start, NEAR_MS, true);
      if (wide === null) return 0;
      if (wide.size === 0) continue;
      // a day back only for those whose counters have samples there; the others have no earlier value
      const candidates = group.filter((x) => wide.has(x.station));
      const far = await this.stationsWithData(candidates, (x) => [...x.heat, ...x.makeup].map((c) => c.point), from - LOOKAROUND_MS, from - NEAR_MS);
      if ((await settle(candidates.filter((x) => far.has(x.station)), start, LOOKAROUND_MS, false)) === null) return 0;
      if ((await settle(candidates.filter((x) => !far.has(x.station)), start, NEAR_MS, false)) === null) return 0;
    }
    for (const [id, t] of next) state.stations.set(id, t);
    state.settledTo = s1;
    // the unsettled tail, read afresh every run
    const tail: WindowSpec = { start: s1, end, counterEnd: end, countFrom: from, readFrom: (id, k) => carryOf(id, k) ?? from - NEAR_MS };
    const ok = await this.eachChunk(this.inputs, tail, (x, w) => {
      const t = state.stations.get(x.station);
      const parts = windowParts(w.inputs, this.o.settings);
      const row = rowOf(x.station, day, t?.parts ? mergeParts(t.parts, parts) : parts, this.o.settings);
      if (row) rows.push(row);
    });
    if (!ok) return 0;
    await this.o.daily.upsert(rows, now);
    return rows.length;
  }

  /**
   * Reads the window for stations a chunk at a time, about CHUNK_VALUES minute values per chunk
   * (or `chunk` stations), so each read holds the event loop briefly; false when cancelled.
   */
  private async eachChunk(stations: readonly StationInputs[], spec: WindowSpec, each: (x: StationInputs, w: StationWindow) => void): Promise<boolean> {
    const x0 = stations[0];
    const minutes = (spec.end - spec.start) / MINUTE_MS;
    const perStation = x0 ? (x0.heat.length + x0.makeup.length) * ((spec.counterEnd - spec.readFrom(x0.station, 0)) / MINUTE_MS) + (4 + x0.flows.length) * minutes : 1;
    const chunk = this.o.chunk ?? Math.max(1, Math.min(50, Math.floor(CHUNK_VALUES / Math.max(1, perStation))));
    for (let i = 0; i < stations.length; i += chunk) {
      const part = stations.slice(i, i + chunk);
      const windows = await readWindow(this.ctx, part, spec);
      for (const x of part) each(x, windows.get(x.station)!);
      // let ingest and the API in between chunks
      await new Promise((r) => setImmediate(r));
      if (this.cancelled) return false;
    }
    return true;
  }
}

/** The row of a station's day, or null when it reported nothing that day. */
function rowOf(station: string, day: string, parts: WindowParts, settings: { hddBaseC: number }): DailyRow | null {
  const f = finishParts(parts, settings);
  return f.samplesOk > 0 || f.heatGJ !== null || f.makeupM3 !== null ? { station, day, ...f } : null;
}

/** Index of the last value before `end`, or −1. */
function lastKnown(values: Float64Array, end: number): number {
  for (let i = Math.min(end, values.length) - 1; i >= 0; i--) if (values[i] === values[i]) return i;
  return -1;
}

/**
 * Whether a counter read with a margin around the day [dayFrom, dayTo) needs a wider one: it has
 * values in the day but none in the margin before it, or (when the margin after it has passed)
 * none in the margin after it.
 */
function gapAtEdge(values: Float64Array, dayFrom: number, dayTo: number, afterPassed: boolean): boolean {
  const lastInDay = lastKnown(values, dayTo);
  if (lastInDay < dayFrom) return false;
  if (lastKnown(values, dayFrom) < 0) return true;
  return afterPassed && lastKnown(values, values.length) < dayTo;
}

/** Whether the values hold a gap across `at` (a value before it, the next one after it, minutes missing between). */
function straddles(values: Float64Array, at: number): boolean {
  if (at <= 0) return false;
  const before = lastKnown(values, at);
  if (before < 0) return false;
  let after = at;
  while (after < values.length && values[after] !== values[after]) after++;
  return after < values.length && after - before > 1;
}

/**
 * Runs the job every `everyMs`, the first time `firstMs` after start (default a minute: after the
 * first poll round, which creates every series); a failing store is
 * logged and tried at the next run. The returned stop function waits for a run in progress,
 * which gives up at its next chunk.
 */
export function scheduleAnalytics(job: AnalyticsJob, o: { now: () => number; everyMs: number; logger: Pick<Logger, 'info' | 'warn' | 'debug'>; firstMs?: number }): () => Promise<void> {
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let running: Promise<void> | null = null;
  const tick = () => {
    running = job
      .run(o.now())
      .then(
        (r) => o.logger.debug(r, 'analytics daily table updated'),
        (e: unknown) => o.logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'analytics: the daily table could not be updated; trying again at the next run'),
      )
      .finally(() => {
        running = null;
        if (stopped) return;
        timer = setTimeout(tick, o.everyMs);
        timer.unref();
      });
  };
  timer = setTimeout(tick, o.firstMs ?? 60_000);
  timer.unref();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    job.cancel();
    await running;
  };
}
