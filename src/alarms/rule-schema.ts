import Type, { type Static } from 'typebox';

/**
 * Schema of one alarm rule in the config (`alarms: [AlarmRule]`).
 *
 * One flat strict object rather than a union per type: the schema rejects
 * unknown keys and bad values with their path, and `compileRules` checks the
 * fields each type needs (`alarms[3].limit: required for type high`), which
 * gives far better messages than a failed union. It also lets a per-station
 * override carry only the fields it changes:
 *
 * @example
 * ```yaml
 * alarms:
 *   - { point: "*.plc.t_sec_supply", type: high, limit: 75, deadband: 1, onDelayS: 30, priority: 2 }
 *   - { id: leak_ratio, point: "*.plc.f_makeup", type: expression, expr: "plc.f_makeup > 0.02 * plc.f_sec", priority: 2 }
 *   - { id: leak_ratio, stations: [hs-007], onDelayS: 1800 }   # override for one station
 * ```
 */
const strict = { additionalProperties: false } as const;

export const RULE_TYPES = [
  'high',
  'highHigh',
  'low',
  'lowLow',
  'rateOfChange',
  'deviation',
  'state',
  'mismatch',
  'stale',
  'frozen',
  'commLoss',
  'expression',
  'baseline',
] as const;
export type AlarmRuleType = (typeof RULE_TYPES)[number];

export const AlarmRuleTypeSchema = Type.Union([
  Type.Literal('high'),
  Type.Literal('highHigh'),
  Type.Literal('low'),
  Type.Literal('lowLow'),
  Type.Literal('rateOfChange'),
  Type.Literal('deviation'),
  Type.Literal('state'),
  Type.Literal('mismatch'),
  Type.Literal('stale'),
  Type.Literal('frozen'),
  Type.Literal('commLoss'),
  Type.Literal('expression'),
  Type.Literal('baseline'),
]);

/** `station.device.point` with `*` wildcards inside segments; `station.device` for commLoss. */
export const POINT_PATTERN = '^[a-z0-9_*-]+\\.[a-z0-9_*-]+(\\.[a-z0-9_*-]+)?$';
/** `device.point` or `point`, relative to the matched station / device; or `curve` for deviation. */
const RelPoint = Type.String({ pattern: '^[a-z0-9_-]+(\\.[a-z0-9_-]+)?$', maxLength: 130 });
const Expr = Type.String({ minLength: 1, maxLength: 2000 });

/**
 * A baseline learned from stored hourly means (src/alarms/baseline/):
 * - `daily`: the mean over the last `recentH` hours against `factor` × the median daily mean
 *   of the `learnDays` before it (make-up water: a slow leak against the station's own normal);
 * - `atLoad`: the mean of (point − `minus`) over the last `recentH` hours against its clean
 *   level at equal load, the low tenth of the same load band (by `load`) over `learnDays`
 *   (exchanger approach: fouling), `offset` above it.
 * Only hours in which the station was in service are learned from or compared.
 */
const BaselineSpec = Type.Object(
  {
    method: Type.Union([Type.Literal('daily'), Type.Literal('atLoad')]),
    learnDays: Type.Optional(Type.Integer({ minimum: 2, maximum: 365 })),
    recentH: Type.Optional(Type.Integer({ minimum: 1, maximum: 168 })),
    /** daily: alarm above factor × baseline (default 3) */
    factor: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })),
    /** added to the threshold (atLoad: the K above the clean level) */
    offset: Type.Optional(Type.Number({ minimum: -1000, maximum: 1000 })),
    /** the threshold is never below this (a station whose baseline is near zero) */
    minimum: Type.Optional(Type.Number()),
    /** atLoad: the value is point − minus (relative id) */
    minus: Type.Optional(RelPoint),
    /** atLoad: the load point (relative id) that defines equal load */
    load: Type.Optional(RelPoint),
    /** atLoad: load bands between 10 % and 100 % of the station's high load (default 5) */
    bands: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
  },
  strict,
);

export const AlarmRule = Type.Object(
  {
    /** stable rule id; default `<point pattern>:<type suffix>` */
    id: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]+$', minLength: 1, maxLength: 64 })),
    enabled: Type.Optional(Type.Boolean()),
    point: Type.Optional(Type.String({ pattern: POINT_PATTERN, maxLength: 200 })),
    type: Type.Optional(AlarmRuleTypeSchema),
    /** 1 emergency, 2 high, 3 medium, 4 low */
    priority: Type.Optional(Type.Integer({ minimum: 1, maximum: 4 })),
    message: Type.Optional(Type.String({ maxLength: 500 })),
    /** fault class for tickets: leak, over_temp, pump_trip, valve_stuck, comm_loss, sensor, no_heat, … */
    class: Type.Optional(Type.String({ pattern: '^[a-z0-9_]+$', maxLength: 40 })),
    onDelayS: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400 })),
    offDelayS: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400 })),
    deadband: Type.Optional(Type.Number({ minimum: 0 })),
    /** stays active until acknowledged after it clears */
    latching: Type.Optional(Type.Boolean()),
    /** expression over points of the same station/device; while true the alarm is suppressed */
    suppressedBy: Type.Optional(Expr),
    /** station modes the rule is active in (default in_service only); `all` for safety rules */
    modes: Type.Optional(
      Type.Union([
        Type.Literal('all'),
        Type.Array(Type.Union([Type.Literal('in_service'), Type.Literal('commissioning'), Type.Literal('stopped'), Type.Literal('maintenance')]), {
          minItems: 1,
        }),
      ]),
    ),
    /** active only outside the station's attended hours (door, intrusion) */
    unattendedOnly: Type.Optional(Type.Boolean()),
    /**
     * First-out grouping: rule ids of the alarms that cause this one (same station and zone, or
     * station-wide). While a parent's condition holds, this alarm is its child: suppressed, shown
     * under the parent, never annunciated or ticketed on its own.
     */
    parents: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9_-]+$' }), { minItems: 1, maxItems: 16 })),
    /** bind to every zone of a multi-zone station (`z2_`…`z4_` prefixed points); default true */
    zones: Type.Optional(Type.Boolean()),
    /** station ids this entry applies to; a later entry with the same id overrides earlier ones there */
    stations: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9_-]+$' }), { minItems: 1 })),

    /** high/highHigh/low/lowLow/deviation */
    limit: Type.Optional(Type.Number()),
    /**
     * high/highHigh/low/lowLow on pressures: at a station whose static head is configured, the
     * limit is that zone's static head plus this (MPa); `limit` stays the fallback elsewhere
     */
    limitOverStaticHead: Type.Optional(Type.Number({ minimum: -2, maximum: 5 })),
    /** rateOfChange: change (in point units) over windowS */
    rate: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    windowS: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 604_800 })),
    /**
     * rateOfChange on a counter: any fall from the window's highest value counts, and a fall to
     * below this fraction of it is the counter restarting (meter or PLC replaced), recorded as
     * one `reset` event, not an alarm
     */
    resetBelow: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 })),
    /** rateOfChange: rising|falling|both; deviation: above|below|both */
    direction: Type.Optional(
      Type.Union([
        Type.Literal('rising'),
        Type.Literal('falling'),
        Type.Literal('above'),
        Type.Literal('below'),
        Type.Literal('both'),
      ]),
    ),
    /** deviation: another point (relative id) or `curve` (the station's weather curve) */
    reference: Type.Optional(RelPoint),
    /** deviation: where the station has no `reference` point, compare with its weather curve instead */
    fallback: Type.Optional(Type.Literal('curve')),
    /** deviation from curve: the outdoor temperature point (relative id), default `t_outdoor` */
    outdoor: Type.Optional(RelPoint),
    /** state: alarm when the value equals this */
    alarmValue: Type.Optional(Type.Union([Type.Boolean(), Type.Number()])),
    /** mismatch: feedback point (relative id); `point` is the command */
    feedback: Type.Optional(RelPoint),
    /** mismatch: numeric tolerance; without it the values must be equal */
    tolerance: Type.Optional(Type.Number({ minimum: 0 })),
    /** stale/frozen/commLoss: seconds */
    afterS: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 604_800 })),
    /** frozen: only while this expression holds */
    while: Type.Optional(Expr),
    /** expression: the alarm condition */
    expr: Type.Optional(Expr),
    /** baseline: what the point is compared with, learned from the station's own stored history */
    baseline: Type.Optional(BaselineSpec),
  },
  strict,
);

export const AlarmRules = Type.Array(AlarmRule);

export type AlarmRuleConfig = Static<typeof AlarmRule>;
