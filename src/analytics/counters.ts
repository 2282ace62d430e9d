/**
 * Which points are counters: the heat meter's `heat_energy` (GJ) and the make-up volume
 * `v_makeup` (m³) of any zone (`z2_heat_energy`…), and any point marked `counter: true` or given
 * a `rolloverAt`; `counter: false` takes a point out.
 *
 * @example
 * ```ts
 * const counters = counterPoints(cfg.stations);
 * counters.get('hs-001.plc.heat_energy'); // { rolloverAt: 42949672.96 }
 * counters.has('hs-001.plc.t_sec_supply'); // false
 * ```
 */
import { pointId } from '../model.ts';

export interface CounterSpec {
  /** the register's wrap value; null: a drop is a reset */
  rolloverAt: number | null;
}

/** The kinds of counter the daily table adds up per station (every zone's). */
export const COUNTER_KINDS = { heat: 'heat_energy', makeup: 'v_makeup' } as const;

/** `z2_heat_energy` → `heat_energy`: the point id without its zone prefix. */
export function basePointId(id: string): string {
  return id.replace(/^z[2-9]_/, '');
}

interface PointLike {
  id: string;
  counter?: boolean | undefined;
  rolloverAt?: number | undefined;
}

/** The counter spec of a point, or null when it is no counter. */
export function counterOf(p: PointLike): CounterSpec | null {
  if (p.counter === false) return null;
  const base = basePointId(p.id);
  const byName = base === COUNTER_KINDS.heat || base === COUNTER_KINDS.makeup;
  if (p.counter !== true && !byName && p.rolloverAt === undefined) return null;
  return { rolloverAt: p.rolloverAt ?? null };
}

/** Every counter point of the stations by full id. */
export function counterPoints(stations: ReadonlyArray<{ id: string; devices: ReadonlyArray<{ id: string; points: readonly PointLike[] }> }>): Map<string, CounterSpec> {
  const out = new Map<string, CounterSpec>();
  for (const s of stations) {
    for (const d of s.devices) {
      for (const p of d.points) {
        const c = counterOf(p);
        if (c) out.set(pointId(s.id, d.id, p.id), c);
      }
    }
  }
  return out;
}
