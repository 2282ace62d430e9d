/**
 * Replay: run alarm rules over stored history and summarise what would have
 * fired, so engineers can tune limits before enabling them. Pure apart from
 * consuming the given async sequence of sample batches.
 *
 * Timers (on-delays, stale, comm loss) advance with the samples' own time: the
 * engine is ticked whenever sample time moves on by a second or more, so a
 * delay resolves at the next poll after it expires and a stretch with no data at
 * all is seen when data resumes.
 */
import type { Sample } from '../model.ts';
import type { CompiledRules } from './compiled.ts';
import { createEngine } from './engine.ts';
import { alarmKpis, type AlarmKpis } from './kpis.ts';
import type { AlarmEvent } from './types.ts';

export interface ReplaySummary {
  from: number;
  to: number;
  samples: number;
  raises: number;
  byRule: Array<{ ruleId: string; raises: number; stations: number }>;
  byStation: Array<{ station: string; raises: number }>;
  chattering: string[];
  kpis: AlarmKpis;
}

const count = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1);

export async function replayAlarms(compiled: CompiledRules, batches: AsyncIterable<Sample[]>, from: number, to: number): Promise<ReplaySummary> {
  const engine = createEngine(compiled);
  let state = engine.init();
  const events: AlarmEvent[] = [];
  let lastTick = -Infinity;
  let samples = 0;
  for await (const batch of batches) {
    for (const s of batch) {
      if (s.ts - lastTick >= 1000) {
        const t = engine.tick(state, s.ts);
        state = t.state;
        for (const e of t.events) events.push(e);
        lastTick = s.ts;
      }
      const r = engine.step(state, s, s.ts);
      state = r.state;
      for (const e of r.events) events.push(e);
      samples++;
    }
  }
  const t = engine.tick(state, to);
  for (const e of t.events) events.push(e);

  const raises = events.filter((e) => e.type === 'raise');
  const ruleCount = new Map<string, number>();
  const ruleStations = new Map<string, Set<string>>();
  const stationCount = new Map<string, number>();
  for (const e of raises) {
    count(ruleCount, e.ruleId);
    count(stationCount, e.station);
    (ruleStations.get(e.ruleId) ?? ruleStations.set(e.ruleId, new Set()).get(e.ruleId)!).add(e.station);
  }
  const kpis = alarmKpis(events, { from, to });
  return {
    from,
    to,
    samples,
    raises: raises.length,
    byRule: [...ruleCount].map(([ruleId, n]) => ({ ruleId, raises: n, stations: ruleStations.get(ruleId)!.size })).sort((a, b) => b.raises - a.raises || a.ruleId.localeCompare(b.ruleId)),
    byStation: [...stationCount].map(([station, n]) => ({ station, raises: n })).sort((a, b) => b.raises - a.raises || a.station.localeCompare(b.station)),
    chattering: kpis.chattering,
    kpis,
  };
}
