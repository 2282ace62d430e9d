/**
 * The state a station is coloured by on the network map (pure): what the service knows now of
 * its communication, its annunciated alarms and its mode, folded into one word.
 *
 * Order: a station that does not answer is `comm_loss` whatever else is known (its alarms and
 * mode are then stale news); then an annunciated alarm (`alarm`); then the mode — `maintenance`
 * (crews on site, and commissioning, which is also work on the station rather than heating),
 * `stopped` (planned stop, out of season); else `ok`.
 *
 * @example
 *   mapState({ comm: 'online', worstAlarm: 2, mode: 'maintenance' }); // 'alarm'
 *   mapState({ comm: 'offline', worstAlarm: 3, mode: 'in_service' }); // 'comm_loss'
 */
import type { StationMode } from '../../alarms/modes.ts';

export const MAP_STATES = ['alarm', 'comm_loss', 'stopped', 'maintenance', 'ok'] as const;
export type MapState = (typeof MAP_STATES)[number];

export type StationComm = 'online' | 'offline' | 'partial' | 'unknown';

export interface StationNow {
  comm: StationComm;
  /** the worst annunciated alarm's priority (1 emergency … 4 low), null without one */
  worstAlarm: number | null;
  /** effective mode, null when modes are not deployed */
  mode: StationMode | null;
}

export function mapState(s: StationNow): MapState {
  // a device of the station silent (partial) already hides part of it: it is a comm loss too
  if (s.comm === 'offline' || s.comm === 'partial') return 'comm_loss';
  if (s.worstAlarm !== null) return 'alarm';
  if (s.mode === 'maintenance' || s.mode === 'commissioning') return 'maintenance';
  if (s.mode === 'stopped') return 'stopped';
  return 'ok';
}
