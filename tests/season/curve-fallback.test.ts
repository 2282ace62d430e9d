/**
 * The season check for stations whose template has no PLC setpoint point (`t_sec_setpoint`):
 * curve deviation falls back to the weather curve plus the site's setback schedule. The
 * simulator's PLCs set back 3–6 K at night and boost 3–5 K for 1–2 h (each its own), while the
 * site configures one schedule; stations whose PLC does no setback say so (`setback: false`),
 * as a utility does. Normal nights must not raise curve alarms; an under-supply must still be
 * detected, also at night.
 */
import { describe, expect, it } from 'vitest';
import type { StationSpec } from '../../src/config/resolve.ts';
import { resolveOperations } from '../../src/modes/config.ts';
import { stationSetback } from '../../src/modes/setback-config.ts';
import { loadTemplate } from '../../simulators/templates.ts';
import { runSeason } from './harness.ts';

/** the standard template as a PLC without the setpoint register exposes it */
const standard = loadTemplate('hs-plc');
const withoutSetpoint = { ...standard, points: standard.points.filter((p) => p.id !== 't_sec_setpoint') };

const SITE = { windows: [{ from: '23:00', to: '05:00', offsetK: -5 }, { from: '05:00', to: '07:00', offsetK: 4 }], rampMin: 30 };

/** local hour (+08:00) of an ISO time */
const localHour = (iso: string) => (new Date(iso).getUTCHours() + 8) % 24;

describe('season check, curve fallback with a setback schedule', () => {
  it('stations without a PLC setpoint: no curve alarm from setback or boost, under-supply detected', async () => {
    const { settings, problems } = resolveOperations({ setback: SITE }, { stations: new Set(), areas: new Set() });
    expect(problems).toEqual([]);
    let scheduled = 0;
    const r = await runSeason({
      stations: 40,
      days: 3,
      pollMs: 60_000,
      faultCount: 2,
      seed: 18, // both of its under-supply faults start in the night setback
      station: (spec, info) => {
        const setback = stationSetback(info.setbackK > 0 ? undefined : false, settings.setback);
        if (setback) scheduled++;
        const devices = spec.devices.map((d) => ({ ...d, points: withoutSetpoint.points })) as StationSpec['devices'];
        return { ...spec, devices, ...(setback ? { setback } : {}) };
      },
    });
    console.log('curve fallback:', JSON.stringify({ wallMs: r.wallMs, scheduled, falseByRule: r.falseByRule, faults: r.faults.map((f) => `${f.fault} ${f.from} ${f.afterS} s ${f.alarm}`) }));
    // the schedule really was in play: most stations set back, and the nights held setback and boost
    expect(scheduled).toBeGreaterThan(20);
    for (const kind of ['setback', 'boost']) expect(r.operations[kind] ?? 0, kind).toBeGreaterThan(20);
    expect(r.falseByRule.curve_low ?? 0, JSON.stringify(r.falseList)).toBe(0);
    expect(r.falseByRule.curve_high ?? 0, JSON.stringify(r.falseList)).toBe(0);
    const under = r.faults.filter((f) => f.fault === 'under_supply');
    expect(under.length).toBeGreaterThan(0);
    expect(under.filter((f) => !f.detected)).toEqual([]);
    // during the night setback, where the band is 5 K below the curve
    expect(under.some((f) => localHour(f.from) >= 23 || localHour(f.from) < 2), JSON.stringify(under)).toBe(true);
  }, 120_000);
});
