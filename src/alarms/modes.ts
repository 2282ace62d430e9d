/**
 * Station operating modes and the alarm context they give (pure).
 *
 * A station is `in_service`, `commissioning` (filling, pressure test, cold circulation),
 * `stopped` (out of season, planned stop) or `maintenance` (crew on site). Each rule is
 * active in a set of modes, optionally only outside attended hours (intrusion). The engine
 * gets one small context code per station — mode index + 4 when attended — and every alarm
 * carries an 8-bit mask of the codes it is active in; an alarm outside its mask is
 * suppressed by design.
 */
export const STATION_MODES = ['in_service', 'commissioning', 'stopped', 'maintenance'] as const;
export type StationMode = (typeof STATION_MODES)[number];

export function isStationMode(x: unknown): x is StationMode {
  return typeof x === 'string' && (STATION_MODES as readonly string[]).includes(x);
}

/** Context code of a station: mode index, plus 4 while the station is in attended hours. */
export function contextCode(mode: StationMode, attended: boolean): number {
  return STATION_MODES.indexOf(mode) + (attended ? 4 : 0);
}

/** The mode of a context code. */
export function contextMode(code: number): StationMode {
  return STATION_MODES[code & 3];
}

export const ALL_MODES_MASK = 0xff;

/**
 * The context mask of a rule: `modes` (default in service only; `all` for safety rules that
 * stay on in every mode) and `unattendedOnly` (active only outside attended hours).
 */
export function modeMask(modes: readonly StationMode[] | 'all' | undefined, unattendedOnly = false): number {
  const list: readonly StationMode[] = modes === 'all' ? STATION_MODES : (modes ?? ['in_service']);
  let mask = 0;
  for (const m of list) {
    const i = STATION_MODES.indexOf(m);
    mask |= 1 << i;
    if (!unattendedOnly) mask |= 1 << (i + 4);
  }
  return mask;
}

/** The modes a mask is active in, for the API and docs (attended or not). */
export function modesOfMask(mask: number): StationMode[] {
  return STATION_MODES.filter((_, i) => (mask & (0x11 << i)) !== 0);
}
