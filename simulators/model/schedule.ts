import { hashStream } from '../random.ts';
import { COUNTER_EPOCH_MS, type LastReplaced } from './counters.ts';
import type { MeterReplaceOp, Operation, OperationKind, RatedKind, SeasonOp } from './operation-types.ts';
import type { StationPlan } from './plan.ts';

/**
 * The schedule of normal operations: a pure function of (seed, station, time). Events are drawn
 * per local day from a stream seeded by (seed, station, day, kind), so a station's day D is the
 * same whenever the model was created and whatever else is enabled.
 * Usual rates (×`rates`): riser refill 4 and planned stop 3 per week per 500 stations, short
 * outages 0.3 per station-day plus 2 cell outages per week over 64 cells, one meter or PLC
 * replacement per 4 station-years.
 */
export const MIN = 60_000, H = 3_600_000, DAY = 86_400_000;
const YEAR = 365 * DAY;
const K_PATROL = 1, K_CHANGE = 2, K_REFILL = 3, K_OUTAGE = 4, K_STOP = 5, K_METER = 6, K_CELL = 7, K_SEASON = 8;
const CELL_BASE = 0x40000000;
const STOP_REASONS = ['换热器检修', '管网抢修配合', '阀门更换', '停电检修'];

export interface ScheduleConfig {
  seed: number;
  utcOffsetH: number;
  zones: number;
  kinds: ReadonlySet<OperationKind>;
  rates: Record<RatedKind, number>;
  attended: [number, number];
  seasonAtMs: number | null;
  /** explicit operations by station (normalised) */
  extra: ReadonlyMap<number, readonly Operation[]>;
  plan(s: number): StationPlan;
}

export function localDay(cfg: ScheduleConfig, t: number): number {
  return Math.floor((t + cfg.utcOffsetH * H) / DAY);
}
export function dayStart(cfg: ScheduleConfig, d: number): number {
  return d * DAY - cfg.utcOffsetH * H;
}
const roundS = (t: number) => Math.round(t / 1000) * 1000;

/** Operations anchored on local day `d` (they may run into the next day). */
export function dayOperations(cfg: ScheduleConfig, s: number, d: number, out: Operation[]): void {
  const { seed, kinds } = cfg;
  const plan = cfg.plan(s);
  const d0 = dayStart(cfg, d);
  const [a, b] = cfg.attended;
  let patrolFrom = NaN;
  let patrolTo = NaN;
  if (kinds.has('patrol')) {
    const r = hashStream(seed, s, d, K_PATROL);
    if (r() >= plan.patrolSkip) {
      const e = r();
      let dur = roundS(r(10, 30) * MIN);
      let from: number;
      let edge: 'before_hours' | 'after_hours' | undefined;
      if (e < 0.04) {
        from = d0 + a * H - roundS(r(1, 10) * MIN);
        edge = 'before_hours';
      } else if (e < 0.07) {
        const early = r(5, 12);
        from = d0 + b * H - roundS(early * MIN);
        dur = roundS(r(Math.max(10, early + 3), 30) * MIN); // still there after closing time
        edge = 'after_hours';
      } else from = d0 + a * H + roundS(r() * ((b - a) * H - dur));
      patrolFrom = from;
      patrolTo = from + dur;
      out.push({ station: s, kind: 'patrol', fromMs: from, toMs: from + dur, door: [[from, from + dur]], ...(edge ? { edge } : {}) });
      if (r() < 0.05) {
        const dur2 = roundS(r(10, 20) * MIN);
        const from2 = d0 + a * H + roundS(r() * ((b - a) * H - dur2));
        if (from2 >= patrolTo || from2 + dur2 <= patrolFrom) {
          out.push({ station: s, kind: 'patrol', fromMs: from2, toMs: from2 + dur2, door: [[from2, from2 + dur2]], edge: 'second_visit' });
        }
      }
    }
  }
  if (kinds.has('changeover') && (((d - plan.coPhaseDay) % plan.coPeriodDays) + plan.coPeriodDays) % plan.coPeriodDays === 0) {
    const k = Math.floor((d - plan.coPhaseDay) / plan.coPeriodDays);
    const r = hashStream(seed, s, d, K_CHANGE);
    // by hand during the patrol, else by the PLC's timer (or remotely by dispatch at 10:00)
    const manual = !plan.coAuto && !Number.isNaN(patrolFrom);
    const t0 = manual ? patrolFrom + roundS(r(3, 8) * MIN) : d0 + (plan.coAuto ? plan.coHour * H : 10 * H + roundS(r() * H));
    const e = r();
    const outage = r() < 0.05;
    for (let z = 0; z < cfg.zones; z++) {
      const from = t0 + z * 2 * MIN;
      const late = e < 0.08;
      const early = !late && e < 0.12;
      const fb = late ? Math.round(r(3000, 6000)) : plan.feedbackMs;
      const off = from + fb + (early ? -Math.round(r(500, 1000)) : Math.round(r(1000, 3000)));
      const amp = Math.round(r(0.05, 0.1) * 1000) / 1000;
      const dur = Math.round(r(5, 20)) * 1000;
      out.push({
        station: s,
        kind: 'changeover',
        zone: z,
        toPump: (k & 1) === 0 ? 2 : 1,
        fromMs: from,
        toMs: off + dur,
        feedbackMs: fb,
        offMs: off,
        transientMPa: r() < 0.6 ? -amp : amp,
        transientMs: dur,
        ...(late ? { edge: 'late_feedback' as const } : early ? { edge: 'early_stop' as const } : {}),
      });
    }
    if (outage && kinds.has('outage')) {
      const from = t0 - roundS(r(10, 40) * 1000);
      out.push({ station: s, kind: 'outage', fromMs: from, toMs: from + roundS(r(1, 3) * MIN), edge: 'during_changeover' });
    }
  }
  if (plan.setbackK > 0 && kinds.has('setback')) {
    const edge = plan.heatingType === 'floor' ? { edge: 'floor_setback' as const } : {};
    out.push({ station: s, kind: 'setback', fromMs: d0 + 23 * H, toMs: d0 + 29 * H, offsetK: -plan.setbackK, ...edge });
  }
  if (plan.boostK > 0 && kinds.has('boost')) {
    out.push({ station: s, kind: 'boost', fromMs: d0 + 5 * H, toMs: d0 + 5 * H + plan.boostMs, offsetK: plan.boostK });
  }
  if (kinds.has('refill')) {
    const r = hashStream(seed, s, d, K_REFILL);
    if (r() < (cfg.rates.refill * 4) / 3500) {
      const zone = Math.floor(r() * cfg.zones);
      const e = r();
      let from: number;
      let edge: 'with_patrol' | 'night' | undefined;
      if (e < 0.25 && !Number.isNaN(patrolFrom)) {
        from = patrolFrom + roundS(r(2, 6) * MIN);
        edge = 'with_patrol';
      } else if (e < 0.35) {
        from = d0 + 20 * H + roundS(r() * 1.5 * H);
        edge = 'night';
      } else from = d0 + 9 * H + roundS(r() * 6 * H);
      const drainFrom = from + roundS(r(3, 8) * MIN);
      const refillFrom = drainFrom + roundS(r(15, 40) * MIN);
      const to = refillFrom + roundS(r(20, 40) * MIN);
      out.push({
        station: s,
        kind: 'refill',
        zone,
        fromMs: from,
        toMs: to,
        drainFromMs: drainFrom,
        refillFromMs: refillFrom,
        dropMPa: Math.round(r(0.04, 0.1) * 1000) / 1000,
        makeupPct: Math.round(r(2.5, 4) * 10) / 10,
        door: [[from, refillFrom + 15 * MIN]],
        ...(edge ? { edge } : {}),
      });
    }
  }
  if (kinds.has('outage')) {
    const r = hashStream(seed, s, d, K_OUTAGE);
    const u = r();
    const n = u < 0.04 * cfg.rates.outage ? 2 : u < 0.3 * cfg.rates.outage ? 1 : 0;
    for (let i = 0; i < n; i++) {
      const from = d0 + roundS(r() * DAY);
      out.push({ station: s, kind: 'outage', fromMs: from, toMs: from + roundS(r(1, 8) * MIN) });
    }
    const c = hashStream(seed, CELL_BASE + plan.cell, d, K_CELL);
    if (c() < (cfg.rates.outage * 2) / (64 * 7)) {
      const from = d0 + roundS(c() * DAY);
      const dur = roundS(c(2, 7) * MIN);
      const lag = roundS(r(0, 40) * 1000); // modems drop and come back at slightly different times
      out.push({ station: s, kind: 'outage', fromMs: from + lag, toMs: from + dur + lag, cell: plan.cell, edge: 'cell' });
    }
  }
  if (kinds.has('planned_stop')) {
    const r = hashStream(seed, s, d, K_STOP);
    if (r() < (cfg.rates.planned_stop * 3) / 3500) {
      const overnight = r() < 0.1;
      const from = d0 + (overnight ? 20 * H : 8 * H + roundS(r() * 2 * H));
      const to = from + roundS(r(4, 10) * H);
      out.push({
        station: s,
        kind: 'planned_stop',
        fromMs: from,
        toMs: to,
        reason: STOP_REASONS[Math.floor(r() * STOP_REASONS.length)],
        door: [
          [from, from + roundS(r(20, 40) * MIN)],
          [to - roundS(r(30, 45) * MIN), to],
        ],
        ...(overnight ? { edge: 'overnight' as const } : {}),
      });
    }
  }
}

/** The meter or PLC replacement of station-year `y` (years of 365 days from the counter epoch). */
export function replacementOfYear(cfg: ScheduleConfig, s: number, y: number): MeterReplaceOp | null {
  if (!cfg.kinds.has('meter_replace') || y < 0) return null;
  const r = hashStream(cfg.seed, s, y, K_METER);
  if (r() >= 0.25 * cfg.rates.meter_replace) return null;
  const day = localDay(cfg, COUNTER_EPOCH_MS + y * YEAR) + Math.floor(r() * 365);
  const at = dayStart(cfg, day) + 9 * H + roundS(r() * 7 * H);
  return replacement(s, at, r() < 0.7 ? 'heat_meter' : 'plc', r(10, 25));
}

export function replacement(s: number, at: number, what: 'heat_meter' | 'plc', outMin: number): MeterReplaceOp {
  const out = roundS(outMin * MIN);
  return {
    station: s,
    kind: 'meter_replace',
    what,
    fromMs: at - out - 10 * MIN,
    toMs: at + 10 * MIN,
    atMs: at,
    outFromMs: at - out,
    outToMs: what === 'plc' ? at + 2 * MIN : at,
    door: [[at - out - 10 * MIN, at + 10 * MIN]],
  };
}

/** The season start of station `s`, phase by phase (empty from 30 days before). */
export function seasonOperations(cfg: ScheduleConfig, s: number, out: Operation[]): void {
  if (cfg.seasonAtMs === null) return;
  const r = hashStream(cfg.seed, s, 0, K_SEASON);
  const fill = cfg.seasonAtMs + Math.floor(r() * 3) * DAY + 8 * H + roundS(r() * 6 * H);
  const test = fill + roundS(r(1, 3) * H);
  const circ = test + roundS(r(70, 90) * MIN);
  const heat = circ + roundS(r(2, 6) * H);
  const end = heat + roundS(r(4, 8) * H);
  const ph = (phase: SeasonOp['phase'], fromMs: number, toMs: number, extra: Partial<SeasonOp> = {}): SeasonOp => ({ station: s, kind: 'season_start', phase, fromMs, toMs, ...extra });
  out.push(
    ph('empty', cfg.seasonAtMs - 30 * DAY, fill),
    ph('filling', fill, test, { door: [[fill, circ]] }),
    ph('pressure_test', test, circ, { testMPa: Math.round(r(0.3, 0.5) * 100) / 100 }),
    ph('cold_circulation', circ, heat),
    ph('heat_up', heat, end),
  );
}

/** Every operation of station `s` overlapping [fromMs, toMs), appended to `out`. */
export function stationOperations(cfg: ScheduleConfig, s: number, fromMs: number, toMs: number, out: Operation[]): void {
  const start = out.length;
  for (let d = localDay(cfg, fromMs) - 1; d <= localDay(cfg, toMs - 1); d++) dayOperations(cfg, s, d, out);
  seasonOperations(cfg, s, out);
  const y0 = Math.floor((fromMs - COUNTER_EPOCH_MS) / YEAR) - 1;
  for (let y = Math.max(0, y0); y <= Math.floor((toMs - COUNTER_EPOCH_MS) / YEAR); y++) {
    const m = replacementOfYear(cfg, s, y);
    if (m) out.push(m);
  }
  for (const op of cfg.extra.get(s) ?? []) out.push(op);
  // keep what overlaps, in time order
  let w = start;
  for (let i = start; i < out.length; i++) if (out[i].toMs > fromMs && out[i].fromMs < toMs) out[w++] = out[i];
  out.length = w;
  const mine = out.splice(start).sort((p, q) => p.fromMs - q.fromMs);
  out.push(...mine);
}

/** Which pump is duty at `t` by the changeover schedule (1 when changeovers are off). */
export function dutyAt(cfg: ScheduleConfig, s: number, t: number): 1 | 2 {
  if (!cfg.kinds.has('changeover')) return 1;
  const plan = cfg.plan(s);
  const ops: Operation[] = [];
  for (let d = localDay(cfg, t); d > localDay(cfg, t) - 2 * plan.coPeriodDays - 1; d--) {
    ops.length = 0;
    dayOperations(cfg, s, d, ops);
    const c = ops.find((o) => o.kind === 'changeover' && o.fromMs <= t);
    if (c && c.kind === 'changeover') return c.toPump;
  }
  return 1;
}

/** When the heat meter and the PLC of station `s` were last replaced at or before `t`. */
export function lastReplaced(cfg: ScheduleConfig, s: number, t: number): LastReplaced {
  const last: LastReplaced = { heatMeterMs: null, plcMs: null };
  const take = (what: 'heat_meter' | 'plc', at: number) => {
    if (at > t) return;
    if (what === 'heat_meter') last.heatMeterMs = Math.max(last.heatMeterMs ?? -Infinity, at);
    else last.plcMs = Math.max(last.plcMs ?? -Infinity, at);
  };
  for (let y = Math.floor((t - COUNTER_EPOCH_MS) / YEAR); y >= 0; y--) {
    const m = replacementOfYear(cfg, s, y);
    if (m) take(m.what, m.atMs);
  }
  for (const op of cfg.extra.get(s) ?? []) if (op.kind === 'meter_replace') take(op.what, op.atMs);
  return last;
}
