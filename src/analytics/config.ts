/**
 * Config of the engineers' analytics, owned here; src/config/schema.ts only places it:
 * - the facts of a station (`stations[]`: heated area, system volume, design temperatures,
 *   location), spread into the station schema;
 * - the counter flag of a point (`counter`, `rolloverAt`), spread into the point schemas;
 * - the top-level `analytics:` section (degree-day base, outlier rule, facts CSV, district
 *   outlines for the map, the report schedule).
 *
 * @example
 * ```yaml
 * stations:
 *   - { id: hs-001, heatedAreaM2: 86000, systemVolumeM3: 140, designSupplyC: 75, designReturnC: 50, location: { x: 1200, y: 3400 }, … }
 * analytics:
 *   hddBaseC: 18
 *   outlierFactor: 1.5
 *   factsCsv: config/station-facts.csv      # id,heatedAreaM2,systemVolumeM3,designSupplyC,designReturnC,x,y,heatingType,area
 *   districts: [ { area: 南岗区, outline: [[0, 0], [4000, 0], [4000, 3000], [0, 3000]] } ]
 *   reports: { dailyAt: "06:30" }
 * ```
 */
import Type, { type Static } from 'typebox';

const strict = { additionalProperties: false } as const;
const HourMinute = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });

/** Latitude/longitude (degrees) or x/y on a site plan (metres); one kind for all stations. */
export const Location = Type.Union([
  Type.Object({ lat: Type.Number({ minimum: -90, maximum: 90 }), lon: Type.Number({ minimum: -180, maximum: 180 }) }, strict),
  Type.Object({ x: Type.Number({ minimum: -1e7, maximum: 1e7 }), y: Type.Number({ minimum: -1e7, maximum: 1e7 }) }, strict),
]);
export type StationLocation = Static<typeof Location>;

/** The facts of a station beside its existing `area`, `heatingType` and `staticHeadMPa` (spread into `Station`). */
export const StationFactKeys = {
  /** heated floor area served, m² (> 0): what heat is normalised by */
  heatedAreaM2: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1e8 })),
  /** water volume of the secondary system, m³ (> 0): what make-up is a share of */
  systemVolumeM3: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1e7 })),
  /** secondary design supply and return temperatures, °C */
  designSupplyC: Type.Optional(Type.Number({ minimum: 0, maximum: 150 })),
  designReturnC: Type.Optional(Type.Number({ minimum: 0, maximum: 150 })),
  location: Type.Optional(Location),
};

/** A point that counts up (heat energy, make-up volume): `agg=increase` and the daily table use it (spread into the point schemas). */
export const CounterPointKeys = {
  /** a cumulative counter; `heat_energy` and `v_makeup` (any zone) are counters unless this says false */
  counter: Type.Optional(Type.Boolean()),
  /** the value the register wraps at (e.g. 42949672.96 for a uint32 in 0.01 GJ); a drop is then a wrap, not a reset */
  rolloverAt: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
};

export const District = Type.Object(
  {
    area: Type.String({ minLength: 1, maxLength: 100 }),
    /** polygon in the stations' location kind: [x, y] or [lon, lat] corners */
    outline: Type.Array(Type.Tuple([Type.Number(), Type.Number()]), { minItems: 3, maxItems: 10_000 }),
  },
  strict,
);

export const AnalyticsConfig = Type.Object(
  {
    /** base of heating degree-days, °C (default 18) */
    hddBaseC: Type.Optional(Type.Number({ minimum: 0, maximum: 30 })),
    /** outlier: more than this × IQR away from the network median (default 1.5) */
    outlierFactor: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 20 })),
    /** a minute is off the curve when the supply is further than this from curve (+ setback) (default 3 K) */
    curveDeviationK: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 30 })),
    /** CSV of station facts read at start-up (src/analytics/facts.ts); fills what the station entries leave out */
    factsCsv: Type.Optional(Type.String({ minLength: 1 })),
    /** district outlines for the network map */
    districts: Type.Optional(Type.Array(District, { maxItems: 1000 })),
    /** the daily and monthly reports' schedule (src/reports) */
    reports: Type.Optional(Type.Object({ dailyAt: Type.Optional(HourMinute), dir: Type.Optional(Type.String({ minLength: 1 })) }, strict)),
    /** how often the daily table is brought up to date, minutes (default 15) */
    everyMin: Type.Optional(Type.Number({ minimum: 1, maximum: 1440 })),
  },
  strict,
);
export type AnalyticsConfigInput = Static<typeof AnalyticsConfig>;

export interface AnalyticsSettings {
  hddBaseC: number;
  outlierFactor: number;
  curveDeviationK: number;
  /** as configured (the file was read by the config loader) */
  factsCsv: string | null;
  districts: Array<{ area: string; outline: Array<[number, number]> }>;
  reports: { dailyAt: string; dir: string | null };
  everyMs: number;
}

export const ANALYTICS_DEFAULTS = { hddBaseC: 18, outlierFactor: 1.5, curveDeviationK: 3, dailyAt: '06:00', everyMin: 15 } as const;

interface Problem {
  path: string;
  message: string;
}

/** Fills every default; a district of an area no station has is a problem naming it. Input is schema-valid (or undefined). */
export function resolveAnalytics(input: AnalyticsConfigInput | undefined, known: { areas: ReadonlySet<string> }, problems: Problem[]): AnalyticsSettings {
  const districts = (input?.districts ?? []).map((d) => ({ area: d.area, outline: d.outline.map(([a, b]) => [a, b] as [number, number]) }));
  districts.forEach((d, i) => {
    if (!known.areas.has(d.area)) problems.push({ path: `analytics.districts[${i}].area`, message: `no station is in area '${d.area}'` });
  });
  return {
    hddBaseC: input?.hddBaseC ?? ANALYTICS_DEFAULTS.hddBaseC,
    outlierFactor: input?.outlierFactor ?? ANALYTICS_DEFAULTS.outlierFactor,
    curveDeviationK: input?.curveDeviationK ?? ANALYTICS_DEFAULTS.curveDeviationK,
    factsCsv: input?.factsCsv ?? null,
    districts,
    reports: { dailyAt: input?.reports?.dailyAt ?? ANALYTICS_DEFAULTS.dailyAt, dir: input?.reports?.dir ?? null },
    everyMs: (input?.everyMin ?? ANALYTICS_DEFAULTS.everyMin) * 60_000,
  };
}
