/**
 * A station's effective mode at an instant (pure): an operator's mode wins while it lasts,
 * then a planned stop, then the mode the station's PLC reports, then the heating season;
 * otherwise in service. A station is attended in the attended hours of its area (or the site),
 * in maintenance mode (a crew on site), or while its PLC's check-in switch is on (for at most
 * `plcPoints.attendedMaxH`).
 */
import { inSeason, inWindow, type LocalTime } from './clock.ts';
import type { OperationsSettings, PlannedStop } from './config.ts';
import { plcAttended, type PlcReading } from './plc.ts';
import type { StationMode } from '../alarms/modes.ts';

export interface OperatorMode {
  station: string;
  mode: StationMode;
  comment: string;
  user: string;
  from: number;
  /** null: until changed */
  until: number | null;
  setAt: number;
  /** the operator mode this one interrupted, resumed when this one ends (maintenance during commissioning) */
  then?: OperatorMode | null;
}

/** The operator mode in force at `now`: the latest set, or, after it ended, the one it interrupted. */
export function operatorModeAt(m: OperatorMode | undefined, now: number): OperatorMode | undefined {
  for (let x = m, hops = 0; x && hops < 8; x = x.then ?? undefined, hops++) {
    if (now < x.from) return undefined;
    if (x.until === null || now < x.until) return x;
  }
  return undefined;
}

export type ModeSource = 'operator' | 'planned_stop' | 'plc' | 'season' | 'default';

export interface EffectiveMode {
  mode: StationMode;
  source: ModeSource;
  attended: boolean;
  /** the operator's mode, or the planned stop, behind it */
  operator?: OperatorMode;
  stop?: PlannedStop;
  /**
   * what the station's PLC reports, when it reports anything (shown whether or not it decides):
   * its mode, its check-in switch as read (null unknown) and whether that counts as attended now
   */
  plc?: { mode: StationMode | null; checkIn: boolean | null; attended: boolean };
  /** when it ends, where known */
  until: number | null;
}

export function stopCovers(s: PlannedStop, station: string, area: string | null, now: number): boolean {
  if (now < s.from || now >= s.to) return false;
  return s.stations ? s.stations.includes(station) : s.area !== null && s.area === area;
}

export function effectiveMode(
  station: { id: string; area: string | null },
  now: number,
  local: LocalTime,
  settings: OperationsSettings,
  operator: OperatorMode | undefined,
  stops: readonly PlannedStop[],
  plc?: PlcReading,
): EffectiveMode {
  const window = (station.area !== null ? settings.attended.areas.get(station.area) : undefined) ?? settings.attended.all;
  const checkedIn = plcAttended(plc, now, settings.plc);
  const attendedBy = (window !== null && inWindow(local.minute, window)) || checkedIn;
  // the precedence into plain variables, then one object: the alarm runner asks this of every
  // station every second, so no closure or spread per call
  let mode: StationMode = 'in_service';
  let source: ModeSource = 'default';
  let until: number | null = null;
  let stop: PlannedStop | undefined;
  const op = operatorModeAt(operator, now);
  if (!op) {
    for (const x of stops) {
      if (!stopCovers(x, station.id, station.area, now)) continue;
      stop = x;
      break;
    }
  }
  if (op) {
    mode = op.mode;
    source = 'operator';
    until = op.until;
  } else if (stop) {
    mode = 'stopped';
    source = 'planned_stop';
    until = stop.to;
  } else if (plc?.mode) {
    mode = plc.mode;
    source = 'plc';
  } else if (settings.season && !inSeason(local.monthDay, settings.season)) {
    mode = 'stopped';
    source = 'season';
  }
  const m: EffectiveMode = { mode, source, attended: attendedBy || mode === 'maintenance', until };
  if (op) m.operator = op;
  if (stop) m.stop = stop;
  if (plc && (plc.mode !== null || plc.attended !== null)) m.plc = { mode: plc.mode, checkIn: plc.attended, attended: checkedIn };
  return m;
}
