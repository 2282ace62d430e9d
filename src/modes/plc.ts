/**
 * What a station's PLC says of its mode and of a crew's check-in (pure). The PLC is believed
 * only on good data: a bad or uncertain sample, or its device losing communication, makes the
 * PLC's word unknown, and the station falls back to the season and the default. A mode code the
 * config does not map (a garbled register, 65535) is no PLC mode at all.
 */
import type { StationMode } from '../alarms/modes.ts';
import type { PlcPointSettings } from './config.ts';
import type { Sample } from '../model.ts';

export interface PlcReading {
  /** the mode the PLC reports now; null: unknown, or a code `modeValues` does not map */
  mode: StationMode | null;
  /** the check-in switch: true on, false off, null unknown */
  attended: boolean | null;
  /**
   * when the switch was seen turning on. Kept while the switch is unknown, so a comm blip or a
   * restart of the PLC cannot renew a switch left on; cleared only by a good "off".
   */
  attendedSince: number | null;
}

export const NO_PLC: PlcReading = Object.freeze({ mode: null, attended: null, attendedSince: null });

export type PlcPointKind = 'mode' | 'attended';

/** The full point ids of every station's PLC mode and check-in points, for a lookup per sample. */
export function plcPointIndex(stations: readonly string[], plc: PlcPointSettings): Map<string, { station: string; kind: PlcPointKind }> {
  const out = new Map<string, { station: string; kind: PlcPointKind }>();
  for (const station of stations) {
    out.set(`${station}.${plc.mode.device}.${plc.mode.point}`, { station, kind: 'mode' });
    out.set(`${station}.${plc.attended.device}.${plc.attended.point}`, { station, kind: 'attended' });
  }
  return out;
}

/** The reading after one sample of one of the PLC points; the same object when nothing changed. */
export function readPlcSample(prev: PlcReading, kind: PlcPointKind, s: Sample, plc: PlcPointSettings): PlcReading {
  const good = s.quality === 'good' && s.value !== null;
  if (kind === 'mode') {
    // a boolean is a miswired point, not code 1
    const code = good && typeof s.value === 'number' ? s.value : NaN;
    const mode = (Number.isInteger(code) ? plc.modeValues.get(code) : undefined) ?? null;
    return mode === prev.mode ? prev : { ...prev, mode };
  }
  if (!good) return prev.attended === null ? prev : { ...prev, attended: null };
  const on = s.value === true || (typeof s.value === 'number' && s.value !== 0);
  if (on === prev.attended) return prev;
  if (!on) return { ...prev, attended: false, attendedSince: null };
  return { ...prev, attended: true, attendedSince: prev.attendedSince ?? s.ts };
}

/** The reading after `device` lost communication: what it reports is unknown, the switch's start kept. */
export function plcCommLost(prev: PlcReading, device: string, plc: PlcPointSettings): PlcReading {
  const mode = device === plc.mode.device ? null : prev.mode;
  const attended = device === plc.attended.device ? null : prev.attended;
  return mode === prev.mode && attended === prev.attended ? prev : { ...prev, mode, attended };
}

/** Whether the check-in counts at `now`: on, and turned on less than `attendedMaxMs` ago. */
export function plcAttended(r: PlcReading | undefined, now: number, plc: PlcPointSettings): boolean {
  return r?.attended === true && r.attendedSince !== null && now - r.attendedSince < plc.attendedMaxMs;
}
