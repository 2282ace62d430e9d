/**
 * A station's effective mode at an instant (pure): an operator's mode wins while it lasts,
 * then a planned stop, then the heating season; otherwise in service. Attended hours come from
 * the station's area (or the site) and from maintenance mode (a crew on site).
 */
import { inSeason, inWindow, type LocalTime } from './clock.ts';
import type { OperationsSettings, PlannedStop } from './config.ts';
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
}

export type ModeSource = 'operator' | 'planned_stop' | 'season' | 'default';

export interface EffectiveMode {
  mode: StationMode;
  source: ModeSource;
  attended: boolean;
  /** the operator's mode, or the planned stop, behind it */
  operator?: OperatorMode;
  stop?: PlannedStop;
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
): EffectiveMode {
  const window = (station.area !== null ? settings.attended.areas.get(station.area) : undefined) ?? settings.attended.all;
  const inHours = window !== null && inWindow(local.minute, window);
  const base = (mode: StationMode, source: ModeSource, until: number | null, extra: Partial<EffectiveMode> = {}): EffectiveMode => ({
    mode,
    source,
    attended: inHours || mode === 'maintenance',
    until,
    ...extra,
  });
  if (operator && now >= operator.from && (operator.until === null || now < operator.until)) return base(operator.mode, 'operator', operator.until, { operator });
  for (const s of stops) if (stopCovers(s, station.id, station.area, now)) return base('stopped', 'planned_stop', s.to, { stop: s });
  if (settings.season && !inSeason(local.monthDay, settings.season)) return base('stopped', 'season', null);
  return base('in_service', 'default', null);
}
