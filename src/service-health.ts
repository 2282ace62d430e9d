/**
 * What a running service says of itself on /api/health: ingest, polls, devices, the spool, MQTT,
 * the state database and, in a cluster, this instance's leases and the members. Degraded when
 * the store falls behind or fails, the spool holds data, or the state database cannot be reached
 * (alarm events then wait in the journal, ticket changes and operator actions are refused with 503).
 */
import type { AlarmRunner } from './alarms/runner.ts';
import type { MqttBus } from './bus/mqtt-bus.ts';
import type { ClusterCoordinator } from './cluster/coordinator.ts';
import type { DeviceCounters } from './adapters/types.ts';
import { pollTotals } from './ingest/metrics.ts';
import type { IngestPipeline } from './ingest/pipeline.ts';
import type { DeviceStatus } from './model.ts';
import type { StateDb } from './state/db.ts';
import type { SpoolingStore } from './store/spool/spooling-store.ts';

/** Tracks device communication state as adapters report it. */
export class DeviceStatusBoard {
  private readonly byKey = new Map<string, DeviceStatus>();
  set(s: DeviceStatus): void {
    this.byKey.set(`${s.station}/${s.device}`, s);
  }
  get(station: string, device: string): DeviceStatus | undefined {
    return this.byKey.get(`${station}/${device}`);
  }
  counts(): { online: number; offline: number } {
    let online = 0;
    let offline = 0;
    for (const s of this.byKey.values()) s.comm === 'online' ? online++ : s.comm === 'offline' && offline++;
    return { online, offline };
  }
}

export interface HealthSources {
  pipeline: IngestPipeline;
  board: DeviceStatusBoard;
  spool: SpoolingStore | undefined;
  bus: MqttBus | undefined;
  alarms: AlarmRunner;
  cluster: ClusterCoordinator | undefined;
  stateDb: StateDb;
  queueLimit: number;
  stations: number;
  counters: () => DeviceCounters[];
  now: () => number;
  startedAt: number;
}

export function serviceHealth(o: HealthSources) {
  const st = o.pipeline.stats();
  const spooled = o.spool?.stats();
  const alarmWrites = o.alarms.writeStats();
  const clusterStatus = o.cluster?.status();
  const stateDown = alarmWrites.failing || Boolean(clusterStatus?.error);
  const degraded = st.queueDepth > o.queueLimit / 2 || st.failing === true || spooled?.spooling === true || stateDown;
  const now = o.now();
  return {
    status: degraded ? ('degraded' as const) : ('ok' as const),
    uptimeS: Math.round((now - o.startedAt) / 1000),
    stations: o.stations,
    devices: o.board.counts(),
    ingest: st,
    // polls started late or skipped because the process was busy (src/adapters/modbus/device.ts)
    polls: pollTotals(o.counters()),
    ...(spooled ? { spool: { ...spooled, oldestAgeS: spooled.oldestAt ? Math.round((now - spooled.oldestAt) / 1000) : 0 } } : {}),
    ...(o.bus ? { mqtt: o.bus.stats() } : {}),
    state: { kind: o.stateDb.dialect, where: o.stateDb.where, reachable: !stateDown, alarmWriteBacklog: alarmWrites.backlog, alarmWritesJournaled: alarmWrites.journaled },
    ...(clusterStatus ? { cluster: clusterStatus } : {}),
  };
}
