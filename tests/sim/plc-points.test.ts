// The PLC's check-in switch (`attended`) and mode selector (`station_mode`) in the model: they
// follow the crews and the operations of the schedule, a test can force them as a crew would
// set them by hand, and they are the same for the same seed (pure: a simulated clock).
import { describe, expect, it } from 'vitest';
import { createNetwork, PLC_MODES, type Network, type OperationsOptions } from '../../simulators/model.ts';
import { loadTemplate } from '../../simulators/templates.ts';

const S = 1000;
const MIN = 60_000;
const H = 3_600_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 11, 16, 0); // 00:00 Asia/Shanghai

function net(operations: boolean | OperationsOptions, stations = 3, template: 'hs-plc' | 'hs-plc-3zone' = 'hs-plc'): Network {
  return createNetwork({ stations, seed: 5, template: loadTemplate(template), startMs: T0, stepMs: 5000, operations });
}
const inside = (t: number, ivs: Array<[number, number]>) => ivs.some(([a, b]) => a <= t && t < b);

describe('PLC mode and check-in points in the model', () => {
  it('attended is on exactly while a crew is at the station (its door windows)', () => {
    const n = net(true, 20);
    const ops = n.operations(T0, T0 + DAY);
    const crews = Array.from({ length: 20 }, (_, s) => ops.filter((o) => o.station === s).flatMap((o) => o.door ?? []));
    const wrong: string[] = [];
    let on = 0;
    for (let t = T0 + 5 * S; t < T0 + DAY; t += 30 * S) {
      n.advance(t);
      for (let s = 0; s < 20; s++) {
        const crew = inside(t, crews[s]);
        if (n.readPoint(s, 'attended') !== crew) wrong.push(`station ${s} ${new Date(t).toISOString()}`);
        on += crew ? 1 : 0;
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(on).toBeGreaterThan(20);
  }, 60_000);

  it('station_mode: stopped in a planned stop, maintenance for a refill or a meter replacement, auto otherwise', () => {
    const stop = { from: T0 + 9 * H, to: T0 + 13 * H };
    const refill = { from: T0 + 10 * H, to: T0 + 11 * H };
    const meter = T0 + 15 * H;
    const n = net({
      kinds: [],
      extra: [
        { kind: 'planned_stop', station: 0, fromMs: stop.from, toMs: stop.to },
        { kind: 'refill', station: 1, fromMs: refill.from, toMs: refill.to },
        { kind: 'meter_replace', station: 2, atMs: meter },
      ],
    });
    const at = (t: number) => {
      n.advance(t);
      return [0, 1, 2].map((s) => n.readPoint(s, 'station_mode'));
    };
    const { auto, stopped, maintenance } = PLC_MODES;
    expect(at(stop.from - MIN)).toEqual([auto, auto, auto]);
    expect(at(stop.from + 5 * S)).toEqual([stopped, auto, auto]);
    expect(at(refill.from + 5 * S)).toEqual([stopped, maintenance, auto]);
    expect(at(refill.to + 5 * S)).toEqual([stopped, auto, auto]);
    expect(at(stop.to + 5 * S)).toEqual([auto, auto, auto]);
    const replace = n.operations(T0, T0 + DAY, 2)[0];
    expect(at(replace.fromMs + 5 * S)).toEqual([auto, auto, maintenance]);
    expect(at(replace.toMs + 5 * S)).toEqual([auto, auto, auto]);
  });

  it('station_mode through the season start: stopped while empty, commissioning from filling to the end of heat-up', () => {
    const n = net({ kinds: [], seasonStart: { atMs: T0 } }, 2);
    const phases = n.operations(T0, T0 + 6 * DAY, 0).filter((o) => o.kind === 'season_start');
    const end = Math.max(...phases.map((p) => p.toMs));
    for (const p of phases) {
      if (p.kind !== 'season_start') continue;
      n.advance(Math.max(n.timeMs, p.fromMs + 5 * S));
      expect(n.readPoint(0, 'station_mode'), p.phase).toBe(p.phase === 'empty' ? PLC_MODES.stopped : PLC_MODES.commissioning);
    }
    n.advance(end + 5 * S);
    expect(n.readPoint(0, 'station_mode')).toBe(PLC_MODES.auto);
  });

  it('without operations both read idle; a forced value holds until released, at that station only', () => {
    const n = net(false, 3, 'hs-plc-3zone');
    n.advance(T0 + MIN);
    expect([n.readPoint(1, 'attended'), n.readPoint(1, 'station_mode')]).toEqual([false, 0]);
    n.forcePoint(1, 'attended', true);
    n.forcePoint(1, 'station_mode', 65535);
    n.advance(T0 + 10 * MIN);
    expect([n.readPoint(1, 'attended'), n.readPoint(1, 'station_mode')]).toEqual([true, 65535]);
    expect([n.readPoint(0, 'attended'), n.readPoint(0, 'station_mode')]).toEqual([false, 0]);
    n.forcePoint(1, 'attended', null);
    n.forcePoint(1, 'station_mode', null);
    expect([n.readPoint(1, 'attended'), n.readPoint(1, 'station_mode')]).toEqual([false, 0]);
    expect(() => n.forcePoint(1, 'door', true)).toThrow(/cannot be forced/);
    expect(() => n.forcePoint(1, 'station_mode', -1)).toThrow(/whole number/);
  });

  it('the same seed gives the same PLC readings', () => {
    const a = net(true, 10);
    const b = net(true, 10);
    for (let t = T0 + H; t <= T0 + DAY; t += H) {
      a.advance(t);
      b.advance(t);
      for (let s = 0; s < 10; s++) for (const id of ['attended', 'station_mode']) expect(b.readPoint(s, id)).toBe(a.readPoint(s, id));
    }
  });
});
