import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { ResolvedConfig } from './config/resolve.ts';
import type { Logger } from './log.ts';
import type { DeviceStatus, Sample } from './model.ts';
import { ModbusAdapter } from './adapters/modbus/adapter.ts';
import type { Adapter, AdapterSink, DeviceCounters } from './adapters/types.ts';
import { buildApp } from './api/app.ts';
import { TokenAuth } from './api/auth.ts';
import type { LiveView } from './api/deps.ts';
import { IngestPipeline } from './ingest/pipeline.ts';
import { createMetrics } from './ingest/metrics.ts';
import { SqliteStateStore } from './state/sqlite-state.ts';
import { createSeriesStore } from './store/create.ts';
import type { SeriesStore } from './store/port.ts';
import { compileAlarmRules } from './alarms/config.ts';
import { AlarmRunner } from './alarms/runner.ts';

export interface Service {
  url: string;
  app: FastifyInstance;
  pipeline: IngestPipeline;
  series: SeriesStore;
  state: SqliteStateStore;
  metrics: Registry;
  adapters: Adapter[];
  alarms: AlarmRunner;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  logger: Logger;
  /** false: build everything but do not open the HTTP port (tests use inject) */
  listen?: boolean;
  now?: () => number;
}

const RETENTION_EVERY_MS = 3_600_000;

/** Tracks device communication state as adapters report it. */
class DeviceStatusBoard {
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

/** Wires config → store, pipeline, adapters and API: `heatwatch run`. */
export async function startService(cfg: ResolvedConfig, opts: ServiceOptions): Promise<Service> {
  const log = opts.logger;
  const now = opts.now ?? Date.now;
  const series = createSeriesStore(cfg.storage.series);
  await series.init();
  const state = new SqliteStateStore(cfg.storage.state.path);
  const pipeline = new IngestPipeline({ store: series, ...cfg.ingest, logger: log.child({ module: 'ingest' }) });
  const board = new DeviceStatusBoard();

  const compiled = compileAlarmRules(cfg);
  if (compiled.warnings.length) {
    log.warn({ count: compiled.warnings.length, first: compiled.warnings.slice(0, 5) }, 'some alarm rules do not apply everywhere (heatwatch check-config lists them)');
  }
  const alarms = new AlarmRunner({ compiled, db: state.db, logger: log.child({ module: 'alarms' }), now });
  pipeline.onSamples((batch) => alarms.samples(batch));

  const sink: AdapterSink = {
    samples: (batch: Sample[]) => pipeline.push(batch),
    status: (s: DeviceStatus) => {
      board.set(s);
      alarms.status(s);
    },
  };
  const adapters: Adapter[] = [];
  const modbusDevices = cfg.stations.flatMap((s) => s.devices).filter((d) => d.protocol === 'modbus');
  if (modbusDevices.length) adapters.push(new ModbusAdapter({ devices: modbusDevices, sink, logger: log.child({ module: 'modbus' }) }));
  for (const d of cfg.stations.flatMap((s) => s.devices).filter((d) => d.protocol === 'opcua')) {
    const error = 'OPC UA acquisition is not available in this version';
    log.warn({ station: d.station, device: d.id }, error);
    board.set({ station: d.station, device: d.id, comm: 'offline', ts: now(), error });
  }

  const counters = (): DeviceCounters[] => adapters.flatMap((a) => a.counters());
  const metrics = createMetrics({ pipeline, adapters: counters });
  const startedAt = now();
  const live: LiveView = {
    latest: (point) => pipeline.latest.get(point),
    deviceStatus: (station, device) => board.get(station, device),
    onSamples: (listener) => pipeline.onSamples(listener),
    health: () => {
      const st = pipeline.stats();
      const devices = board.counts();
      const degraded = st.queueDepth > cfg.ingest.queueLimit / 2 || st.failing === true;
      return {
        status: degraded ? 'degraded' : 'ok',
        uptimeS: Math.round((now() - startedAt) / 1000),
        stations: cfg.stations.length,
        devices,
        ingest: st,
      };
    },
  };

  const app = await buildApp({
    config: cfg,
    auth: new TokenAuth(cfg.tokens),
    live,
    series,
    state,
    metrics,
    logger: log,
    now,
    alarms,
  });
  alarms.onEvents((events) => {
    for (const event of events) app.broadcast?.({ type: 'alarm', event, alarm: alarms.get(event.alarmId) ?? null });
  });
  alarms.start();

  for (const a of adapters) await a.start();
  const retention = setInterval(() => {
    series.applyRetention(now()).then(
      (n) => n > 0 && log.info({ rows: n }, 'retention removed old samples'),
      (err) => log.error({ err }, 'retention failed'),
    );
  }, RETENTION_EVERY_MS);
  retention.unref();

  let url = '';
  if (opts.listen !== false) {
    url = await app.listen({ host: cfg.api.host, port: cfg.api.port });
    log.info({ url }, 'heatwatch API listening');
  }

  let stopped = false;
  return {
    url,
    app,
    pipeline,
    series,
    state,
    metrics,
    adapters,
    alarms,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(retention);
      for (const a of adapters) await a.stop();
      alarms.stop();
      await app.close();
      await pipeline.stop();
      await series.close();
      state.close();
    },
  };
}
