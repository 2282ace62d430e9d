/**
 * Config of station operating modes (`operations:`): the heating season, attended hours,
 * planned stops (停热计划) and the PLC points that report a mode or a crew's check-in. Owned
 * here; src/config/schema.ts only places it.
 *
 * @example
 * ```yaml
 * operations:
 *   season: { start: "10-20", end: "04-10" }          # MM-DD in the site's time zone; outside it stations are stopped
 *   attendedHours: { from: "08:00", to: "18:00", areas: { 南岗区: { from: "07:30", to: "17:00" } } }
 *   plannedStops:
 *     - { stations: [hs-007], from: "2026-12-05T08:00:00+08:00", to: "2026-12-05T16:00:00+08:00", reason: 换热器检修 }
 *     - { area: 道里区, from: "2026-12-09T22:00:00+08:00", to: "2026-12-10T06:00:00+08:00", reason: 主管网抢修 }
 *   # device.point of each station; a station whose device lacks the point has no PLC source
 *   plcPoints: { mode: plc.station_mode, attended: plc.attended, attendedMaxH: 12, modeValues: { "0": in_service, "1": commissioning, "2": stopped, "3": maintenance } }
 * ```
 */
import Type, { type Static } from 'typebox';
import { isStationMode, STATION_MODES, type StationMode } from '../alarms/modes.ts';
import type { SetbackSchedule } from '../alarms/setback.ts';
import { resolveSetback, SetbackInput } from './setback-config.ts';
import { MAX_TIME_MS } from '../model.ts';

const strict = { additionalProperties: false } as const;
const MonthDay = Type.String({ pattern: '^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$' });
const HourMinute = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });
const Hours = Type.Object({ from: HourMinute, to: HourMinute }, strict);
// the number first: with type coercion a string-first union would turn ms epoch into text
const Instant = Type.Union([Type.Integer({ minimum: 0, maximum: MAX_TIME_MS }), Type.String({ minLength: 10, maxLength: 40 })]);

export const PlannedStopInput = Type.Object(
  {
    stations: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9_-]+$' }), { minItems: 1, maxItems: 10_000 })),
    area: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    from: Instant,
    to: Instant,
    reason: Type.String({ minLength: 1, maxLength: 500 }),
  },
  strict,
);

export const PlcPointsInput = Type.Object(
  {
    mode: Type.Optional(Type.String({ maxLength: 200 })),
    attended: Type.Optional(Type.String({ maxLength: 200 })),
    // keys and values are checked in resolveOperations, so a bad one is named with its reason
    modeValues: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 40 }))),
    attendedMaxH: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 720 })),
  },
  strict,
);

export const OperationsConfig = Type.Object(
  {
    season: Type.Optional(Type.Object({ start: MonthDay, end: MonthDay }, strict)),
    attendedHours: Type.Optional(
      Type.Object({ from: HourMinute, to: HourMinute, areas: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Hours)) }, strict),
    ),
    plannedStops: Type.Optional(Type.Array(PlannedStopInput, { maxItems: 10_000 })),
    /** night setback / morning boost that curve deviation allows for without a PLC setpoint (setback-config.ts) */
    setback: Type.Optional(SetbackInput),
    plcPoints: Type.Optional(PlcPointsInput),
  },
  strict,
);

export type OperationsConfigInput = Static<typeof OperationsConfig>;
export type PlannedStopInputT = Static<typeof PlannedStopInput>;

/** minutes of the day, [from, to); `to < from` wraps past midnight */
export interface Window {
  from: number;
  to: number;
}

export interface PlannedStop {
  id: string;
  stations: string[] | null;
  area: string | null;
  from: number;
  to: number;
  reason: string;
  /** `config` or the user who entered it */
  by: string;
}

/** Where a station's PLC reports its mode and a crew's check-in: `device.point` under each station. */
export interface PlcPointSettings {
  mode: { device: string; point: string };
  attended: { device: string; point: string };
  /** register value → mode; other values are ignored */
  modeValues: ReadonlyMap<number, StationMode>;
  /** a check-in counts this long after it turned on, so a switch left on cannot hide intrusion for ever */
  attendedMaxMs: number;
}

export interface OperationsSettings {
  /** [month * 100 + day] of the season's first and last day, or null: always in season */
  season: { start: number; end: number } | null;
  attended: { all: Window | null; areas: Map<string, Window> };
  plannedStops: PlannedStop[];
  /** the site's setback schedule; stations may override it (`stations[].setback`) */
  setback: SetbackSchedule | null;
  plc: PlcPointSettings;
}

/** The usual register codes of a PLC's mode selector: 0 auto, 1 调试, 2 停运, 3 检修. */
export const DEFAULT_PLC_MODE_VALUES: Readonly<Record<string, StationMode>> = { 0: 'in_service', 1: 'commissioning', 2: 'stopped', 3: 'maintenance' };
const DEFAULT_ATTENDED_MAX_H = 12;

export interface Problem {
  path: string;
  message: string;
}

const minutes = (hm: string) => Number(hm.slice(0, 2)) * 60 + Number(hm.slice(3, 5));
const monthDay = (md: string) => Number(md.slice(0, 2)) * 100 + Number(md.slice(3, 5));

/** An instant from ISO 8601 text (with a zone or Z) or ms epoch; NaN when it is neither. */
export function parseInstant(x: string | number): number {
  if (typeof x === 'number') return x;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(x)) return NaN;
  return Date.parse(x);
}

/**
 * Checks one planned stop against the known stations and areas; returns it resolved or the
 * problems, each naming its field under `path`. Used for the config and the API alike.
 */
export function checkPlannedStop(
  s: PlannedStopInputT,
  path: string,
  known: { stations: ReadonlySet<string>; areas: ReadonlySet<string> },
  id: string,
  by: string,
): { stop: PlannedStop | null; problems: Problem[] } {
  const problems: Problem[] = [];
  const from = parseInstant(s.from);
  const to = parseInstant(s.to);
  if (Number.isNaN(from)) problems.push({ path: `${path}.from`, message: 'must be an ISO 8601 time with a zone (2026-12-05T08:00:00+08:00) or ms epoch' });
  if (Number.isNaN(to)) problems.push({ path: `${path}.to`, message: 'must be an ISO 8601 time with a zone (2026-12-05T16:00:00+08:00) or ms epoch' });
  if (!Number.isNaN(from) && !Number.isNaN(to) && to <= from) problems.push({ path: `${path}.to`, message: 'must be after from' });
  if (!s.stations && s.area === undefined) problems.push({ path: `${path}.stations`, message: 'give stations or an area' });
  if (s.stations && s.area !== undefined) problems.push({ path: `${path}.area`, message: 'give stations or an area, not both' });
  s.stations?.forEach((st, i) => {
    if (!known.stations.has(st)) problems.push({ path: `${path}.stations[${i}]`, message: `unknown station '${st}'` });
  });
  if (s.area !== undefined && !known.areas.has(s.area)) problems.push({ path: `${path}.area`, message: `unknown area '${s.area}'` });
  if (problems.length) return { stop: null, problems };
  return { stop: { id, stations: s.stations ?? null, area: s.area ?? null, from, to, reason: s.reason, by }, problems };
}

export function resolveOperations(
  cfg: OperationsConfigInput | undefined,
  known: { stations: ReadonlySet<string>; areas: ReadonlySet<string> },
): { settings: OperationsSettings; problems: Problem[] } {
  const problems: Problem[] = [];
  const areas = new Map<string, Window>();
  for (const [area, w] of Object.entries(cfg?.attendedHours?.areas ?? {})) {
    if (!known.areas.has(area)) problems.push({ path: `operations.attendedHours.areas.${area}`, message: `unknown area '${area}'` });
    areas.set(area, { from: minutes(w.from), to: minutes(w.to) });
  }
  const plannedStops: PlannedStop[] = [];
  (cfg?.plannedStops ?? []).forEach((s, i) => {
    const r = checkPlannedStop(s, `operations.plannedStops[${i}]`, known, `config-${i + 1}`, 'config');
    problems.push(...r.problems);
    if (r.stop) plannedStops.push(r.stop);
  });
  const a = cfg?.attendedHours;
  const setback = cfg?.setback ? resolveSetback(cfg.setback, 'operations.setback') : null;
  if (setback) problems.push(...setback.problems);
  return {
    settings: {
      season: cfg?.season ? { start: monthDay(cfg.season.start), end: monthDay(cfg.season.end) } : null,
      attended: { all: a ? { from: minutes(a.from), to: minutes(a.to) } : null, areas },
      plannedStops,
      setback: setback?.schedule ?? null,
      plc: resolvePlcPoints(cfg?.plcPoints, problems),
    },
    problems,
  };
}

const POINT_REF = /^([a-z0-9_-]+)\.([a-z0-9_-]+)$/;

function resolvePlcPoints(cfg: Static<typeof PlcPointsInput> | undefined, problems: Problem[]): PlcPointSettings {
  const path = 'operations.plcPoints';
  const ref = (field: 'mode' | 'attended', fallback: string) => {
    const m = POINT_REF.exec(cfg?.[field] ?? fallback);
    if (!m) problems.push({ path: `${path}.${field}`, message: `must be DEVICE.POINT as in the station's devices, e.g. ${fallback}` });
    return { device: m?.[1] ?? '', point: m?.[2] ?? '' };
  };
  const mode = ref('mode', 'plc.station_mode');
  const attended = ref('attended', 'plc.attended');
  if (mode.point && mode.device === attended.device && mode.point === attended.point) problems.push({ path: `${path}.attended`, message: 'must be another point than mode' });
  const modeValues = new Map<number, StationMode>();
  for (const [k, v] of Object.entries(cfg?.modeValues ?? DEFAULT_PLC_MODE_VALUES)) {
    const code = /^(0|[1-9][0-9]{0,4})$/.test(k) ? Number(k) : NaN;
    if (!(code <= 65_535)) problems.push({ path: `${path}.modeValues.${k}`, message: 'must be a register value, a whole number 0..65535' });
    else if (!isStationMode(v)) problems.push({ path: `${path}.modeValues.${k}`, message: `must be one of ${STATION_MODES.join(', ')}` });
    else modeValues.set(code, v);
  }
  return { mode, attended, modeValues, attendedMaxMs: (cfg?.attendedMaxH ?? DEFAULT_ATTENDED_MAX_H) * 3_600_000 };
}
