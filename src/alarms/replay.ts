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

/** One raise as `heatwatch replay --events` prints it. */
export interface ReplayRaise {
  ts: string;
  alarm: string;
  rule: string;
  priority: number;
  class: string | null;
  station: string;
  /** the first-out alarm this one followed from when it raised, if any */
  parent: string | null;
}

export interface ReplayOptions {
  /** station contexts (modes.ts) at a time, in the order of `stationIds`: the modes, season and planned stops of the period */
  contexts?: (stationIds: readonly string[], now: number) => Uint8Array;
  /** called for every raise, in time order */
  onRaise?: (r: ReplayRaise) => void;
  /** sees every sample before the engine does; true when it changed a station's context (a PLC's mode point) */
  observe?: (s: Sample) => boolean;
  /** the site's time zone, for setback schedules (engine.ts `EngineOptions.timeZone`) */
  timeZone?: string;
}

/** Station contexts change on a scale of minutes; re-read them this often in sample time. */
const CONTEXT_EVERY_MS = 60_000;

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

export async function replayAlarms(compiled: CompiledRules, batches: AsyncIterable<Sample[]>, from: number, to: number, opts: ReplayOptions = {}): Promise<ReplaySummary> {
  const engine = createEngine(compiled, opts.timeZone ? { timeZone: opts.timeZone } : {});
  let state = engine.init();
  const events: AlarmEvent[] = [];
  const index = engine.alarmIndex;
  const take = (evs: readonly AlarmEvent[]) => {
    for (const e of evs) {
      events.push(e);
      if (e.type === 'raise' && opts.onRaise) {
        const i = index.get(e.alarmId);
        const parent = (i === undefined ? null : engine.alarms.parents(i))?.find((p) => state.alarms.holds(index.get(p)!));
        opts.onRaise({ ts: new Date(e.ts).toISOString(), alarm: e.alarmId, rule: e.ruleId, priority: e.priority, class: e.class, station: e.station, parent: parent ?? null });
      }
    }
  };
  const contexts = new Uint8Array(engine.stationIds.length).fill(255);
  let lastContext = -Infinity;
  const applyContexts = (now: number) => {
    if (!opts.contexts || now - lastContext < CONTEXT_EVERY_MS) return;
    lastContext = now;
    const codes = opts.contexts(engine.stationIds, now);
    for (let si = 0; si < codes.length; si++) {
      if (codes[si] === contexts[si]) continue;
      contexts[si] = codes[si];
      const r = engine.context(state, si, codes[si], now);
      state = r.state;
      take(r.events);
    }
  };
  let lastTick = -Infinity;
  let samples = 0;
  applyContexts(from);
  for await (const batch of batches) {
    for (const s of batch) {
      if (opts.observe?.(s)) {
        // the PLC's word applies from its own poll, not at the next minute's re-read
        lastContext = -Infinity;
        applyContexts(s.ts);
      }
      if (s.ts - lastTick >= 1000) {
        applyContexts(s.ts);
        const t = engine.tick(state, s.ts);
        state = t.state;
        take(t.events);
        lastTick = s.ts;
      }
      const r = engine.step(state, s, s.ts);
      state = r.state;
      take(r.events);
      samples++;
    }
  }
  const t = engine.tick(state, to);
  take(t.events);

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
