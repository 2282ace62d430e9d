/**
 * Default alarm rules for the standard station template (DOMAIN §1, device
 * `plc`), covering every fault of DOMAIN §2. Limits, deadbands and delays are
 * DOMAIN §1/§3 defaults; values marked (est.) are station-specific estimates
 * meant to be overridden per station (`{ id, stations: [...], limit }`).
 * Priorities per DOMAIN §4: 1 emergency, 2 urgent, 3 normal.
 *
 * Normal operation must not annunciate (DOMAIN §2, "Normal operation"):
 * - rules are active in service only, unless they name their modes; the safety
 *   rules (flooding, burst, over-pressure) stay on in every mode;
 * - one cause, one alarm: a pump trip, fault bit or no-flow alarm that follows
 *   from a power loss or from no pump running is a child of it (`parents`);
 * - delays longer than the normal transients: a pump start moves the pressure
 *   for 5–20 s, a refill runs the make-up pump for 20–40 min, a 4G outage lasts
 *   a few minutes;
 * - curve deviation follows the PLC's own setpoint where the template has one,
 *   so night setback and morning boost are not deviations.
 */
import { shippedMessage } from './messages.ts';
import type { AlarmRuleConfig } from './rule-schema.ts';

export { priorityToSeverity, severityToPriority } from './priority.ts';

const T = { deadband: 1 } as const; // temperature
const P = { deadband: 0.02 } as const; // pressure
const LVL = { deadband: 5, onDelayS: 60 } as const; // level

/** the alarms a power loss explains (pumps, flow, valve, heat); DOMAIN §2 power loss */
const POWER = ['power_loss_cold', 'power_loss'];
/** no pump running explains the trips, faults and no-flow alarms behind it */
const NO_PUMP = ['no_pump', ...POWER];

const pumpRules = (n: 1 | 2): AlarmRuleConfig[] => [
  {
    id: `pump${n}_trip`,
    point: `*.plc.pump${n}_cmd`,
    type: 'mismatch',
    feedback: `pump${n}_run`,
    onDelayS: 10,
    priority: 2,
    class: 'pump_trip',
    parents: NO_PUMP,
    message: `pump ${n} commanded on but not running`,
  },
  {
    id: `pump${n}_fault`,
    point: `*.plc.pump${n}_fault`,
    type: 'state',
    alarmValue: true,
    onDelayS: 2,
    priority: 2,
    class: 'pump_trip',
    parents: [`pump${n}_trip`, ...NO_PUMP],
    message: `pump ${n} fault`,
  },
];

const RULES: AlarmRuleConfig[] = [
  // burst / flooding — emergency
  { id: 'flood', point: '*.plc.flood', type: 'state', alarmValue: true, priority: 1, class: 'flood', modes: 'all', message: 'flooding in the substation' },
  {
    id: 'burst',
    point: '*.plc.p_sec_return',
    type: 'expression',
    expr: 'plc.p_sec_return < 0.15 && plc.makeup_run',
    onDelayS: 5,
    priority: 1,
    class: 'leak',
    // not in commissioning: filling an empty loop is this signature by definition, the crew is on
    // site, and flooding and over-pressure stay on there
    modes: ['in_service', 'stopped', 'maintenance'],
    message: 'secondary pressure low-low with make-up pump running (burst?)',
  },
  // low-low: below the building's static head + 0.02 the top floors drain (DOMAIN §1); 0.15 where no static head is
  // configured. The on-delay outlasts a pump changeover's 5–20 s pressure swing; a burst is `burst`'s and `flood`'s
  { id: 'p_sec_ll', point: '*.plc.p_sec_return', type: 'lowLow', limit: 0.15, limitOverStaticHead: 0.02, ...P, onDelayS: 25, priority: 2, class: 'leak', parents: ['burst'] },
  // over-pressure — emergency
  // high-high: the relief valve's setting − 0.05, est. static head + pump head (≤ 0.35) + 0.3 margin above a pressure test
  { id: 'p_sec_hh', point: '*.plc.p_sec_supply', type: 'highHigh', limit: 1.2, limitOverStaticHead: 0.65, ...P, onDelayS: 15, priority: 1, class: 'over_pressure', modes: 'all' },
  { id: 'p_pri_hh', point: '*.plc.p_pri_supply', type: 'highHigh', limit: 1.5, ...P, onDelayS: 15, priority: 1, class: 'over_pressure', modes: 'all' },
  {
    id: 'pri_dp_low',
    point: '*.plc.p_pri_supply',
    type: 'expression',
    expr: 'plc.p_pri_supply - plc.p_pri_return < 0.05',
    onDelayS: 15,
    priority: 3,
    class: 'no_heat',
    message: 'primary differential pressure below 0.05 MPa',
  },
  // leak: fast pressure fall (emergency), make-up above 2 % of circulation (urgent)
  {
    id: 'leak_fall',
    point: '*.plc.p_sec_return',
    type: 'rateOfChange',
    direction: 'falling',
    rate: 0.05,
    windowS: 600,
    // sustained: a pump start or changeover moves the pressure for 5–20 s only
    onDelayS: 60,
    priority: 1,
    class: 'leak',
    parents: ['burst'],
    message: 'secondary pressure fell more than 0.05 MPa in 10 min',
  },
  {
    id: 'leak_makeup',
    point: '*.plc.f_makeup',
    type: 'expression',
    expr: 'plc.f_makeup > 0.02 * plc.f_sec',
    // longer than a refill after a riser drain (20–40 min); a fast leak is leak_fall's
    onDelayS: 3600,
    priority: 2,
    class: 'leak',
    parents: ['burst', 'leak_fall'],
    message: 'make-up flow above 2 % of circulation',
  },
  // a slow leak the make-up pump keeps up with: the pressure holds and the flow stays under 2 % of
  // circulation, but the day's make-up is several times the station's own normal. A day's mean
  // against the median day of the week before: a refill adds less than a day of normal make-up
  {
    id: 'leak_makeup_trend',
    point: '*.plc.f_makeup',
    type: 'baseline',
    baseline: { method: 'daily', learnDays: 7, recentH: 24, factor: 3, minimum: 0.05 },
    priority: 2,
    class: 'leak',
    parents: ['burst', 'leak_fall', 'leak_makeup'],
    message: "make-up over the last day above 3× the station's 7-day baseline (slow leak?)",
  },
  // power loss: emergency in deep cold, else urgent
  {
    id: 'power_loss',
    point: '*.plc.power_ok',
    type: 'state',
    alarmValue: false,
    onDelayS: 5,
    priority: 2,
    class: 'power_loss',
    modes: ['in_service', 'commissioning'],
    parents: ['power_loss_cold'],
    message: 'power loss',
  },
  {
    id: 'power_loss_cold',
    point: '*.plc.power_ok',
    type: 'expression',
    expr: '!plc.power_ok && plc.t_outdoor < -10',
    onDelayS: 5,
    priority: 1,
    class: 'power_loss',
    modes: ['in_service', 'commissioning'],
    message: 'power loss in deep cold',
  },
  // over-temperature — urgent
  { id: 't_sec_hh', point: '*.plc.t_sec_supply', type: 'highHigh', limit: 85, ...T, onDelayS: 60, priority: 2, class: 'over_temp', modes: ['in_service', 'commissioning'] },
  { id: 't_pri_hh', point: '*.plc.t_pri_supply', type: 'highHigh', limit: 130, ...T, onDelayS: 60, priority: 2, class: 'over_temp' },
  { id: 't_pri_return_h', point: '*.plc.t_pri_return', type: 'high', limit: 65, ...T, onDelayS: 300, priority: 3, class: 'over_temp' },
  {
    id: 'curve_high',
    point: '*.plc.t_sec_supply',
    type: 'deviation',
    reference: 't_sec_setpoint',
    fallback: 'curve',
    outdoor: 't_outdoor',
    direction: 'above',
    limit: 5,
    ...T,
    onDelayS: 300,
    priority: 2,
    class: 'over_temp',
    parents: ['t_sec_hh'],
    message: 'secondary supply more than 5 K above its setpoint',
  },
  // under-supply ("no heat") — urgent
  {
    id: 'curve_low',
    point: '*.plc.t_sec_supply',
    type: 'deviation',
    reference: 't_sec_setpoint',
    fallback: 'curve',
    outdoor: 't_outdoor',
    direction: 'below',
    limit: 5,
    ...T,
    onDelayS: 1800,
    priority: 2,
    class: 'no_heat',
    parents: NO_PUMP,
    message: 'secondary supply more than 5 K below its setpoint',
  },
  { id: 'room_low', point: '*.plc.t_room_avg', type: 'low', limit: 18, deadband: 0.5, onDelayS: 7200, priority: 2, class: 'no_heat', parents: ['room_ll', 'curve_low', ...NO_PUMP] },
  { id: 'room_ll', point: '*.plc.t_room_avg', type: 'lowLow', limit: 16, deadband: 0.5, onDelayS: 1800, priority: 2, class: 'no_heat', parents: ['curve_low', ...NO_PUMP] },
  {
    id: 'sec_dt',
    point: '*.plc.t_sec_return',
    type: 'expression',
    // radiators: 25 K is the design ΔT at the design outdoor temperature, and a morning boost in
    // deep cold goes a little past it; the upper bound keeps that margin (est.)
    expr: 'plc.t_sec_supply - plc.t_sec_return < 3 || plc.t_sec_supply - plc.t_sec_return > 28',
    // a wrong ΔT (bypass, over-flow) lasts days; at the start of the night setback the return
    // lags the falling supply and the ΔT collapses for most of an hour
    onDelayS: 7200,
    priority: 3,
    class: 'no_heat',
    parents: NO_PUMP,
    message: 'secondary ΔT outside 3–25 K',
  },
  {
    id: 'f_sec_low',
    point: '*.plc.f_sec',
    type: 'low',
    limit: 10, // 50 % of design (est.)
    deadband: 1,
    onDelayS: 15,
    suppressedBy: '!plc.pump1_run && !plc.pump2_run',
    parents: NO_PUMP,
    priority: 3,
    class: 'no_heat',
  },
  // pump trip — urgent, emergency when no pump runs although one is commanded
  ...pumpRules(1),
  ...pumpRules(2),
  {
    id: 'no_pump',
    point: '*.plc.pump1_run',
    type: 'expression',
    expr: '(plc.pump1_cmd || plc.pump2_cmd) && !plc.pump1_run && !plc.pump2_run',
    onDelayS: 10,
    priority: 1,
    class: 'pump_trip',
    parents: POWER,
    message: 'no circulation pump running',
  },
  // valve stuck — urgent
  {
    id: 'valve_stuck',
    point: '*.plc.valve_cmd',
    type: 'mismatch',
    feedback: 'valve_fb',
    tolerance: 5,
    onDelayS: 120,
    // held while the command swings back across the stuck position, so a stuck valve is one alarm, not a chatter
    offDelayS: 300,
    priority: 2,
    class: 'valve_stuck',
    parents: POWER,
    message: 'control valve feedback differs from command by more than 5 %',
  },
  // communication loss: a 4G outage of a few minutes suppresses the station's point alarms
  // (after max(3 × period, 60 s)) without annunciating; normal after 10 min, urgent after 15
  {
    id: 'comm_loss',
    point: '*.*',
    type: 'commLoss',
    afterS: 600,
    priority: 3,
    class: 'comm_loss',
    modes: ['in_service', 'commissioning'],
    parents: ['comm_loss_15m'],
    message: 'communication lost for 10 min',
  },
  {
    id: 'comm_loss_15m',
    point: '*.*',
    type: 'commLoss',
    afterS: 900,
    priority: 2,
    class: 'comm_loss',
    modes: ['in_service', 'commissioning'],
    message: 'communication lost for 15 min',
  },
  // sensor faults — normal
  {
    id: 't_sec_frozen',
    point: '*.plc.t_sec_supply',
    type: 'frozen',
    afterS: 1800,
    while: 'plc.pump1_run || plc.pump2_run',
    priority: 3,
    class: 'sensor',
    message: 'secondary supply temperature frozen while a pump runs',
  },
  {
    id: 't_sec_impossible',
    point: '*.plc.t_sec_supply',
    type: 'expression',
    expr: 'plc.t_sec_supply > plc.t_pri_supply',
    onDelayS: 300,
    priority: 3,
    class: 'sensor',
    message: 'secondary supply hotter than primary supply (sensor fault)',
  },
  { id: 't_sec_stale', point: '*.plc.t_sec_supply', type: 'stale', afterS: 600, priority: 3, class: 'sensor' },
  { id: 't_outdoor_frozen', point: '*.plc.t_outdoor', type: 'frozen', afterS: 21_600, priority: 3, class: 'sensor' },
  { id: 't_outdoor_jump', point: '*.plc.t_outdoor', type: 'rateOfChange', direction: 'both', rate: 10, windowS: 60, priority: 3, class: 'sensor' },
  // make-up tank level — normal / urgent at dry-run level
  { id: 'tank_low', point: '*.plc.tank_level', type: 'low', limit: 30, ...LVL, priority: 3, class: 'tank' },
  { id: 'tank_ll', point: '*.plc.tank_level', type: 'lowLow', limit: 15, ...LVL, priority: 2, class: 'tank' },
  // meter fault — normal
  {
    id: 'meter_decreasing',
    point: '*.plc.heat_energy',
    type: 'rateOfChange',
    direction: 'falling',
    rate: 0.001,
    windowS: 3600,
    // a replaced meter starts again near zero: that is one reset event, not a meter fault
    resetBelow: 0.1,
    latching: true,
    priority: 3,
    class: 'meter',
    message: 'cumulative heat energy decreased',
  },
  {
    id: 'meter_no_power',
    point: '*.plc.heat_power',
    type: 'expression',
    expr: 'plc.heat_power <= 0 && plc.f_pri > 1',
    onDelayS: 600,
    priority: 3,
    class: 'meter',
    parents: POWER,
    message: 'heat power zero with primary flow',
  },
  // exchanger fouling — normal: the approach (primary return − secondary return) 5 K above the
  // station's own clean level at the same load, learnt from its history
  {
    id: 'fouling',
    point: '*.plc.t_pri_return',
    type: 'baseline',
    baseline: { method: 'atLoad', minus: 't_sec_return', load: 'heat_power', offset: 5, learnDays: 60, recentH: 24 },
    deadband: 1,
    priority: 3,
    class: 'fouling',
    message: 'exchanger approach 5 K above its clean baseline at equal load (fouling?)',
  },
  // intrusion — urgent (attended hours: shelve or override per station)
  // intrusion: the door outside attended hours; patrols and crews in maintenance mode are expected
  {
    id: 'intrusion',
    point: '*.plc.door',
    type: 'state',
    alarmValue: true,
    onDelayS: 5,
    priority: 2,
    class: 'intrusion',
    modes: ['in_service', 'commissioning', 'stopped'],
    unattendedOnly: true,
    message: 'station door open outside attended hours',
  },
];

/** The shipped rules, each with its English message from the catalogue (messages.ts), the one source of their texts. */
export const DEFAULT_RULES: readonly AlarmRuleConfig[] = RULES.map((r) => ({ ...r, message: shippedMessage(r.id!, 'en') ?? r.message }));
