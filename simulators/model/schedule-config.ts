import { OPERATION_KINDS, type Operation, type OperationInput, type OperationKind, type OperationsOptions, type RatedKind } from './operation-types.ts';
import type { StationPlan } from './plan.ts';
import { dayStart, dutyAt, localDay, MIN, replacement, type ScheduleConfig } from './schedule.ts';

/** Resolves `NetworkOptions.operations` into a schedule config; null when operations are off. */
export function resolveSchedule(
  ops: boolean | OperationsOptions | undefined,
  base: { seed: number; utcOffsetH: number; zones: number; stations: number; startMs: number; plan(s: number): StationPlan },
): ScheduleConfig | null {
  if (!ops) return null;
  const o: OperationsOptions = ops === true ? {} : ops;
  const kinds = new Set<OperationKind>(o.kinds ?? OPERATION_KINDS);
  for (const k of kinds) if (!OPERATION_KINDS.includes(k)) throw new Error(`operations.kinds: unknown kind '${String(k)}' (known: ${OPERATION_KINDS.join(', ')})`);
  const season = o.seasonStart;
  if (!season) kinds.delete('season_start');
  else kinds.add('season_start');
  const rates: Record<RatedKind, number> = { refill: 1, outage: 1, planned_stop: 1, meter_replace: 1, ...o.rates };
  for (const [k, v] of Object.entries(rates)) if (!(v >= 0)) throw new Error(`operations.rates.${k}: expected a number ≥ 0, got ${v}`);
  const attended = o.attendedHours ?? [8, 18];
  if (!(attended[0] >= 0 && attended[0] < attended[1] && attended[1] <= 24)) throw new Error(`operations.attendedHours: expected [from, to] within 0..24, got ${JSON.stringify(attended)}`);
  const cfg: ScheduleConfig & { extra: Map<number, Operation[]> } = {
    seed: base.seed,
    utcOffsetH: base.utcOffsetH,
    zones: base.zones,
    kinds,
    rates,
    attended,
    seasonAtMs: null,
    extra: new Map(),
    plan: base.plan,
  };
  if (season) cfg.seasonAtMs = season === true ? dayStart(cfg, localDay(cfg, base.startMs)) : season.atMs;
  (o.extra ?? []).forEach((input, i) => {
    const op = normalizeExtra(cfg, input, base.stations, `operations.extra[${i}]`);
    cfg.extra.set(op.station, [...(cfg.extra.get(op.station) ?? []), op]);
  });
  return cfg;
}

/** An explicit operation with defaults filled in; throws naming the bad field. */
function normalizeExtra(cfg: ScheduleConfig, x: OperationInput, stations: number, where: string): Operation {
  if (!Number.isInteger(x.station) || x.station < 0 || x.station >= stations) throw new Error(`${where}.station: expected 0..${stations - 1}, got ${x.station}`);
  const s = x.station;
  const edge = 'extra' as const;
  const interval = (from: number, to: number) => {
    if (!(Number.isFinite(from) && Number.isFinite(to) && to > from)) throw new Error(`${where}: expected fromMs < toMs, got ${from}..${to}`);
  };
  const zoneOf = (z: number | undefined) => {
    const zone = z ?? 0;
    if (!Number.isInteger(zone) || zone < 0 || zone >= cfg.zones) throw new Error(`${where}.zone: expected 0..${cfg.zones - 1}, got ${zone}`);
    return zone;
  };
  switch (x.kind) {
    case 'patrol':
      interval(x.fromMs, x.toMs);
      return { station: s, kind: 'patrol', fromMs: x.fromMs, toMs: x.toMs, door: [[x.fromMs, x.toMs]], edge };
    case 'outage':
      interval(x.fromMs, x.toMs);
      return { station: s, kind: 'outage', fromMs: x.fromMs, toMs: x.toMs, edge };
    case 'planned_stop': {
      interval(x.fromMs, x.toMs);
      const crew = Math.min(30 * MIN, (x.toMs - x.fromMs) / 3);
      return {
        station: s,
        kind: 'planned_stop',
        fromMs: x.fromMs,
        toMs: x.toMs,
        reason: x.reason ?? 'planned',
        door: [
          [x.fromMs, x.fromMs + crew],
          [x.toMs - crew, x.toMs],
        ],
        edge,
      };
    }
    case 'changeover': {
      const fb = x.feedbackMs ?? cfg.plan(s).feedbackMs;
      const off = x.offMs ?? x.fromMs + fb + 2000;
      const dur = x.transientMs ?? 10_000;
      interval(x.fromMs, off + dur);
      return {
        station: s,
        kind: 'changeover',
        zone: zoneOf(x.zone),
        toPump: x.toPump ?? (dutyAt(cfg, s, x.fromMs) === 1 ? 2 : 1),
        fromMs: x.fromMs,
        toMs: off + dur,
        feedbackMs: fb,
        offMs: off,
        transientMPa: x.transientMPa ?? -0.07,
        transientMs: dur,
        edge,
      };
    }
    case 'refill': {
      interval(x.fromMs, x.toMs);
      const drainFrom = x.drainFromMs ?? x.fromMs;
      const refillFrom = x.refillFromMs ?? Math.max(drainFrom + 10 * MIN, x.toMs - 30 * MIN);
      if (!(x.fromMs <= drainFrom && drainFrom < refillFrom && refillFrom < x.toMs)) throw new Error(`${where}: expected fromMs ≤ drainFromMs < refillFromMs < toMs`);
      return {
        station: s,
        kind: 'refill',
        zone: zoneOf(x.zone),
        fromMs: x.fromMs,
        toMs: x.toMs,
        drainFromMs: drainFrom,
        refillFromMs: refillFrom,
        dropMPa: x.dropMPa ?? 0.06,
        makeupPct: x.makeupPct ?? 3,
        door: [[x.fromMs, Math.min(x.toMs, refillFrom + 15 * MIN)]],
        edge,
      };
    }
    case 'meter_replace': {
      if (!Number.isFinite(x.atMs)) throw new Error(`${where}.atMs: expected a time, got ${x.atMs}`);
      return { ...replacement(s, x.atMs, x.what ?? 'heat_meter', 15), edge };
    }
    default:
      throw new Error(`${where}.kind: expected patrol, outage, planned_stop, changeover, refill or meter_replace, got '${String((x as { kind: unknown }).kind)}'`);
  }
}
