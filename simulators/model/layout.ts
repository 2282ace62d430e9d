/**
 * State layout of the substation model: one Float64Array per station, station slots first,
 * then one block of zone slots per exchanger zone (offset S_SLOTS + zone * Z_SLOTS).
 * Stepping, readers and the operations applier share these indices; nothing else does.
 */

export const FAULTS = [
  'leak',
  'burst',
  'pump_trip',
  'valve_stuck',
  'over_temp',
  'under_supply',
  'sensor_freeze',
  'comm_loss',
  'garbage',
  'power_loss',
  'slow_leak',
  'fouling',
  // the station's PLC curve set too generously and its pumps run fast: supply above the curve, high flow (analytics)
  'oversupply',
] as const;
export type Fault = (typeof FAULTS)[number];
export function isFault(x: unknown): x is Fault {
  return typeof x === 'string' && (FAULTS as readonly string[]).includes(x);
}
export const FAULT_BIT: Record<Fault, number> = Object.fromEntries(FAULTS.map((f, i) => [f, 1 << i])) as Record<Fault, number>;

// ---- station slots ------------------------------------------------------------------------
export const T_OUT = 0, OU = 1, T_PS = 2, P_PS = 3, P_PR = 4, TANK = 5, REFILL = 6, T_ROOM_ST = 7;
/** effects of the operations schedule (levels, set by the applier at event boundaries) */
export const DOOR = 8, OFFLINE = 9, SP_OFF = 10, NOHEAT = 11, HEAT_T0 = 12, HEAT_T1 = 13, HEAT_FROM = 14, METER_OUT = 15;
/** seconds since the `pump_trip` fault was set (for the PLC's standby auto-start) */
export const TRIP_S = 16;
/** what the PLC reports of the schedule: a crew checked in (0/1) and its mode selector (PLC_MODES) */
export const ATTEND = 17, PLC_MODE = 18;
/** seconds since the `fouling` fault was set (its deposit builds up over FOUL_BUILD_S) */
export const FOUL_S = 19;
export const S_SLOTS = 20;

/** codes of the PLC's mode selector (the template's `station_mode`) */
export const PLC_MODES = { auto: 0, commissioning: 1, stopped: 2, maintenance: 3 } as const;

// ---- zone slots ---------------------------------------------------------------------------
export const SP = 0, TSS = 1, TSR = 2, TPR = 3, VCMD = 4, VFB = 5, INTEG = 6, FSEC = 7, FPRI = 8, PSYS = 9;
export const HZ1 = 10, HZ2 = 11, CMD1 = 12, CMD2 = 13, MK = 14, FMK = 15, VMK = 16, QPOW = 17, ENERGY = 18;
export const TROOM = 19, HOURS1 = 20, HOURS2 = 21, FROZEN_TSS = 22, MKCMD = 23;
/** seconds each pump's command has been on; run feedback once it reaches FBD seconds */
export const ON1 = 24, ON2 = 25, RUN1 = 26, RUN2 = 27, FBD = 28;
/** pressure transient (changeover): start ms, duration s, signed amplitude MPa, current value */
export const TR_T0 = 29, TR_D = 30, TR_A = 31, P_TRANS = 32;
/** driven pressure (drain, refill, filling, pressure test): 1 = ramp to PTARGET by PEND (ms) */
export const PMODE = 33, PTARGET = 34, PEND = 35;
/** make-up override: 0 automatic, 1 forced at MKFLOW m3/h, -1 held off */
export const MKOVR = 36, MKFLOW = 37;
/** which pump the trip hit (1/2, 0 none) and whether the PLC started the standby for it */
export const TRIPP = 38, AUTOST = 39;
export const Z_SLOTS = 40;

/** Offset of a zone's block in the station array. */
export function zoneOffset(z: number): number {
  return S_SLOTS + z * Z_SLOTS;
}

// ---- physics constants --------------------------------------------------------------------
export const GJ_PER_M3K = 4.186e-3;
export const TAU_TSS = 120, TAU_TSR = 600, TAU_ROOM = 2400, TAU_TPS = 600, TAU_FLOW = 5, TAU_VALVE = 3;
/** without heat: pipes in the station cool in hours, buildings in a day or more */
export const TAU_PIPE_COLD = 7200, TAU_BUILDING_COLD = 30 * 3600;
export const NAT_LOSS = 0.0003 / 60; // MPa/s natural loss in the secondary loop
export const MK_GAIN = 0.003 / 60; // MPa/s added by the make-up pump
export const LEAK = 0.013 / 60; // leak: net fall 0.01 MPa/min while make-up runs
export const BURST = 0.02; // MPa/s
/** a slow leak the make-up pump keeps up with: 3× the natural loss, so ~4× the usual make-up */
export const SLOW_LEAK = 3 * NAT_LOSS;
/** fouling: the approach grows to 1 + FOUL_GAIN times its clean value over FOUL_BUILD_S */
export const FOUL_GAIN = 2.5, FOUL_BUILD_S = 12 * 3600;
/** over-supply: the PLC's setpoint this far above the curve, the secondary flow this many times the usual */
export const OVERSUPPLY_K = 6, OVERSUPPLY_FLOW = 1.4;
/** the heat meter's register (uint32 in 0.01 GJ) wraps here */
export const METER_WRAP_GJ = 2 ** 32 * 0.01;
/** pump speed ramps, Hz/s: the VFD brings a starting pump to speed in 2 s and ramps a stopping
 * one down over ~40 s, so a changeover keeps the head (its pressure transient is modelled
 * explicitly); a trip or a power loss drops the drive at once */
export const HZ_UP = 20, HZ_DOWN = 1, HZ_DROP = 10;

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** Daily shape in [-1, 1]: coldest at 05:00, warmest at 14:00. */
export function diurnal(hourOfDay: number): number {
  const h = ((hourOfDay % 24) + 24) % 24;
  if (h >= 5 && h < 14) return -Math.cos((Math.PI * (h - 5)) / 9);
  return Math.cos((Math.PI * ((h - 14 + 24) % 24)) / 15);
}
