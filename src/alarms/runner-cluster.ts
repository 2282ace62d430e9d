/**
 * The alarm runner in a cluster of `serve` instances (src/cluster). Every instance feeds every
 * station's samples to its engine, so point values, delays, rate windows and comm timers are
 * warm wherever a station moves; but only the instance holding a station's lease owns its alarm
 * state: it alone writes the station's events and records, hands them to listeners (live feed,
 * MQTT, tickets) and tells the other instances. Elsewhere the station's events are dropped and
 * its records follow the owner's ({@link RunnerCluster.mirror}); when a station moves, the new
 * owner takes its records from the state database ({@link RunnerCluster.adopt}), so an alarm
 * keeps its state and nothing is raised twice.
 *
 * Event ids: each instance counts from its own block (a row of `alarm_event_blocks`, times 2^32),
 * so two instances never write the same id.
 */
import type { AlarmMeta, AlarmRow, WriteFence } from './persist.ts';
import type { ExternalAlarm } from './external.ts';
import type { AlarmRunner } from './runner.ts';
import type { Sample } from '../model.ts';
import { newRecord } from './states.ts';
import type { AlarmEvent, AlarmRecord } from './types.ts';

export interface AlarmClusterRole {
  /** does this instance own the station's alarm state now */
  holds(station: string): boolean;
  /** the owner's changes, for the other instances (after they are queued for writing) */
  publish?(events: readonly AlarmEvent[], rows: readonly AlarmRow[]): void;
  /** checks, in the write's transaction, which stations are still this instance's (persist.ts) */
  fence?: WriteFence;
}

/** Ids per block: an instance would need 2^32 events before reaching the next block. */
export const EVENT_BLOCK = 2 ** 32;

export class RunnerCluster {
  constructor(
    private readonly r: AlarmRunner,
    readonly role: AlarmClusterRole,
  ) {}

  /**
   * Of a flush's events, those of stations this instance owns. The others are dropped, and the
   * transitions behind them undone (the state before the first of each alarm's), so this
   * instance shows an alarm's state as its owner has it, never ahead of it; the condition and
   * timers the engine keeps stay, so it does not raise again at the next sample.
   */
  keepOwn(events: readonly AlarmEvent[]): AlarmEvent[] {
    const kept: AlarmEvent[] = [];
    const undone = new Set<string>();
    const state = this.r.current();
    for (const e of events) {
      if (this.role.holds(e.station)) {
        kept.push(e);
        continue;
      }
      if (undone.has(e.alarmId)) continue;
      undone.add(e.alarmId);
      const x = this.r.externals.get(e.alarmId);
      if (x) x.st = e.from;
      else {
        const i = this.r.index.get(e.alarmId);
        if (i !== undefined) state.alarms.setState(i, e.from);
      }
    }
    return kept;
  }

  /** The station of an alarm id, from the engine's rules or the external alarms. */
  stationOf(alarmId: string): string | undefined {
    const i = this.r.index.get(alarmId);
    if (i !== undefined) return this.r.engine.alarms.station(i);
    return this.r.externals.get(alarmId)?.station;
  }

  /**
   * Takes over stations: their records, meta and external alarms as the state database has
   * them (the last owner's), replacing what this engine worked out while it did not own them.
   */
  async adopt(stations: readonly string[], owned?: () => void): Promise<number> {
    if (!stations.length) return 0;
    const want = new Set(stations);
    const A = this.r.engine.alarms;
    const ids: string[] = [];
    for (let i = 0; i < A.length; i++) if (want.has(A.station(i))) ids.push(A.id(i));
    const rows = await this.r.store().rowsOf(ids, stations);
    const state = this.r.current();
    const stored = new Set(rows.map((row) => row.id));
    // what this engine made up for them while another instance owned them is not theirs
    for (const [id, x] of this.r.externals) if (want.has(x.station) && !stored.has(id)) this.r.externals.delete(id);
    // an alarm the last owner never wrote is at rest as far as anyone was told: it starts afresh
    // here (the next samples raise it if its condition holds), keeping only the warm rate window
    for (const id of ids) {
      if (stored.has(id)) continue;
      const i = this.r.index.get(id)!;
      const x = state.alarms.x[i];
      state.alarms.put(i, newRecord(id));
      state.alarms.x[i] = x;
    }
    this.apply(rows, false);
    // from here their events count (the role's `holds` says so once `owned` ran)
    owned?.();
    // their rules judged again now, on the last values seen, against what the records now say
    // (an unchanged value is otherwise not looked at again): what happened while nobody owned
    // the station is raised here, once
    const again: Sample[] = [];
    const P = state.points;
    for (let i = 0; i < P.length; i++) {
      const quality = P.quality(i);
      const id = P.ids[i];
      if (quality === null || !want.has(id.slice(0, id.indexOf('.')))) continue;
      again.push({ point: id, ts: P.ts[i], value: P.val(i), quality });
      P.ok[i] = 0;
    }
    if (again.length) this.r.samples(again);
    return rows.length;
  }

  /**
   * The owner's records of stations this instance does not own. The rate-of-change windows stay
   * this engine's own (they are rebuilt from the same samples here).
   */
  mirror(rows: readonly AlarmRow[]): void {
    this.apply(
      rows.filter((row) => {
        const st = this.stationOf(row.id) ?? (row.kind === 'external' ? (JSON.parse(row.record) as ExternalAlarm).station : undefined);
        return st !== undefined && !this.role.holds(st);
      }),
      true,
    );
  }

  private apply(rows: readonly AlarmRow[], keepWindows: boolean): void {
    const state = this.r.current();
    for (const row of rows) {
      this.r.meta.set(row.id, JSON.parse(row.meta) as AlarmMeta);
      if (row.kind === 'external') {
        const x = JSON.parse(row.record) as ExternalAlarm;
        this.r.externals.set(x.id, x);
        continue;
      }
      const i = this.r.index.get(row.id);
      if (i === undefined) continue;
      const x = state.alarms.x[i];
      state.alarms.put(i, JSON.parse(row.record) as AlarmRecord);
      if (keepWindows) state.alarms.x[i] = x;
    }
  }
}
