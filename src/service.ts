import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { ResolvedConfig } from './config/resolve.ts';
import type { Logger } from './log.ts';
import type { DeviceStatus, Sample } from './model.ts';
import { pollSamples, type PollColumns } from './poll-columns.ts';
import { ModbusAdapter } from './adapters/modbus/adapter.ts';
import type { Adapter, AdapterSink, DeviceCounters } from './adapters/types.ts';
import { buildApp } from './api/app.ts';
import { TokenAuth } from './api/auth.ts';
import type { LiveView } from './api/deps.ts';
import { IngestPipeline } from './ingest/pipeline.ts';
import { createMetrics } from './ingest/metrics.ts';
import type { StateDb } from './state/db.ts';
import { openStateDb } from './state/open.ts';
import { PgStateDb } from './state/pg-db.ts';
import { ClusterCoordinator, type ClusterJob } from './cluster/coordinator.ts';
import { clusterAlarmSource, relayAnalyticsDays, relayLiveEvents, relayModes, relayRoster } from './cluster/wiring.ts';
import { stateFilesDir } from './state/config.ts';
import { StateStore } from './state/state-store.ts';
import { createSeriesStore } from './store/create.ts';
import type { SeriesStore } from './store/port.ts';
import { MqttBus } from './bus/mqtt-bus.ts';
import { MqttSource } from './bus/mqtt-source.ts';
import { registerBusMetrics, registerSourceMetrics } from './bus/metrics.ts';
import { Spool } from './store/spool/spool.ts';
import { SpoolingStore } from './store/spool/spooling-store.ts';
import { registerSpoolMetrics } from './store/spool/metrics.ts';
import { compileAlarmRules, releaseAlarmRules } from './alarms/config.ts';
import { AlarmRunner } from './alarms/runner.ts';
import { alarmFeed } from './alarms/feed.ts';
import { registerAlarmMetrics } from './alarms/metrics.ts';
import { BaselineJob, scheduleBaselines } from './alarms/baseline/job.ts';
import { pastContexts } from './modes/history.ts';
import type { ExternalAlarm } from './alarms/external.ts';
import { severityToPriority as deviceSeverityToPriority } from './adapters/opcua/conditions.ts';
import { TicketService } from './tickets/service.ts';
import { NotifyService } from './notify/service.ts';
import { ModeService } from './modes/service.ts';
import { ModeStore } from './modes/store.ts';
import type { OpcuaDeviceSpec } from './config/resolve.ts';
import { registerTicketMetrics } from './tickets/metrics.ts';
import { join } from 'node:path';
import { Closers } from './closers.ts';
import { resolveStateRetention } from './state/retention.ts';
import { DeviceStatusBoard, serviceHealth } from './service-health.ts';
import { scheduleRetention } from './retention-schedule.ts';
import { AnalyticsService } from './analytics/service.ts';
import { analyticsReportJob } from './reports/analytics-job.ts';
import { reportFolderPath } from './reports/analytics-folder.ts';

export interface Service {
  url: string;
  app: FastifyInstance;
  pipeline: IngestPipeline;
  series: SeriesStore;
  state: StateStore;
  /** the state database port (src/state/db.ts) */
  stateDb: StateDb;
  metrics: Registry;
  adapters: Adapter[];
  alarms: AlarmRunner;
  modes: ModeService;
  tickets: TicketService;
  /** on-call roster and notifications (src/notify) */
  notify: NotifyService;
  /** the daily table and the ranking (src/analytics) */
  analytics: AnalyticsService;
  /** MQTT publisher when `mqtt` is configured: `bus.publishEvent('alarms' | 'tickets', station, payload)` */
  bus?: MqttBus;
  /** the store-and-forward spool in front of the series store, when enabled */
  spool?: SpoolingStore;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  logger: Logger;
  /** false: build everything but do not open the HTTP port (tests use inject) */
  listen?: boolean;
  now?: () => number;
  /** run (default): poll devices here; serve: take telemetry and status from MQTT (`heatwatch serve`) */
  mode?: 'run' | 'serve';
}


/**
 * Wires config → store, pipeline, adapters and API: `heatwatch run`. A start-up that fails
 * partway (the API port taken, a store failing) closes what it had opened before it throws.
 */
export async function startService(cfg: ResolvedConfig, opts: ServiceOptions): Promise<Service> {
  const closers = new Closers(opts.logger);
  try {
    return await openService(cfg, opts, closers);
  } catch (err) {
    await closers.closeAll();
    throw err;
  }
}

async function openService(cfg: ResolvedConfig, opts: ServiceOptions, closers: Closers): Promise<Service> {
  const log = opts.logger;
  const now = opts.now ?? Date.now;
  const mode = opts.mode ?? 'run';
  if (mode === 'serve' && !cfg.mqtt) throw new Error('serve needs the mqtt section in the config');
  const innerSeries = createSeriesStore(cfg.storage.series, { stations: cfg.stations });
  const sp = cfg.storage.spool;
  const spool = sp?.enabled
    ? new SpoolingStore({
        inner: innerSeries,
        spool: new Spool({ path: sp.path, maxBytes: sp.maxBytes, maxAgeMs: sp.maxAgeMs, now }),
        logger: log.child({ module: 'spool' }),
        now,
      })
    : undefined;
  const series: SeriesStore = spool ?? innerSeries;
  // closed last (closers run in reverse): everything after writes to it
  closers.add('series store', () => series.close());
  await series.init();
  // the state (alarms, tickets, audit, outbox, modes...): a SQLite file, or PostgreSQL shared by several serve instances
  const stateDb = await openStateDb(cfg.storage.state, { applicationName: `heatwatch-${opts.mode ?? 'run'}` });
  closers.add('state database', () => stateDb.close());
  const state = await StateStore.open(stateDb);
  // serve instances sharing the state in PostgreSQL divide the stations and jobs by leases (src/cluster)
  const cluster =
    mode === 'serve' && stateDb instanceof PgStateDb && cfg.storage.state.kind === 'postgresql'
      ? new ClusterCoordinator({ db: stateDb, url: cfg.storage.state.url, instance: cfg.cluster.instance, stations: cfg.stations.map((s) => s.id), ttlMs: cfg.cluster.leaseMs, renewMs: cfg.cluster.renewMs, logger: log.child({ module: 'cluster' }) })
      : undefined;
  const pipeline = new IngestPipeline({ store: series, ...cfg.ingest, logger: log.child({ module: 'ingest' }) });
  const board = new DeviceStatusBoard();

  const compiled = compileAlarmRules(cfg);
  if (compiled.warnings.length) {
    log.warn({ count: compiled.warnings.length, first: compiled.warnings.slice(0, 5) }, 'some alarm rules do not apply everywhere (heatwatch check-config lists them)');
  }
  if (compiled.defaultNotes?.length) log.debug({ count: compiled.defaultNotes.length, notes: compiled.defaultNotes }, 'shipped alarm rules that apply nowhere or not everywhere here');
  let deviceAck: ((x: ExternalAlarm, user: string, comment: string | undefined) => void) | undefined;
  const modes = await ModeService.open({
    settings: cfg.operations,
    stations: cfg.stations.map((s) => ({ id: s.id, area: s.area ?? null })),
    timeZone: cfg.site.timezone,
    store: await ModeStore.open(stateDb, (e) => state.audit(e)),
    now,
  });
  const areas = new Map(cfg.stations.map((s) => [s.id, s.area ?? null]));
  // the alarm state restored before any poll can feed the engine
  const alarms = await AlarmRunner.open({
    compiled,
    db: stateDb,
    logger: log.child({ module: 'alarms' }),
    now,
    onDeviceAck: (x, u, c) => deviceAck?.(x, u, c),
    contexts: (ids, at) => modes.contextCodes(ids, at),
    areaOf: (station) => areas.get(station) ?? null,
    timeZone: cfg.site.timezone,
    ...(cluster ? { cluster: cluster.alarmRole() } : {}),
    // a shared state database can be away while polling goes on: alarm writes wait on local disk
    ...(cfg.storage.state.kind === 'postgresql' ? { journal: join(stateFilesDir(cfg.storage.state), `alarm-journal-${cfg.cluster.instance}.db`) } : {}),
  });
  releaseAlarmRules(cfg);
  cluster?.attach(alarms);
  pipeline.onSamples(alarmFeed(modes, alarms));

  let bus: MqttBus | undefined;
  let source: MqttSource | undefined;
  const publish = mode === 'run' ? () => bus : () => undefined; // serve does not echo telemetry back
  const sink: AdapterSink = {
    samples: (batch: Sample[]) => {
      publish()?.publishSamples(batch);
      pipeline.push(batch);
    },
    poll: (p: PollColumns) => {
      const bus = publish();
      if (!bus) return pipeline.pushPoll(p);
      const batch = pollSamples(p);
      bus.publishSamples(batch);
      pipeline.push(batch);
    },
    status: (s: DeviceStatus) => {
      board.set(s);
      modes.reportStatus(s);
      alarms.status(s);
      publish()?.publishStatus(s);
    },
  };
  if (cfg.mqtt) {
    if (mode === 'serve') {
      const maxAgeMs = cfg.storage.spool?.maxAgeMs;
      source = new MqttSource({ prefix: cfg.mqtt.prefix, stations: cfg.stations, sink, logger: log.child({ module: 'mqtt-source' }), now, settings: cfg.mqtt, ...(maxAgeMs ? { maxAgeMs } : {}) });
    }
    bus = new MqttBus({
      // each serve instance of a cluster its own client (and persistent session): one id would take the other's connection
      settings: mode === 'serve' ? { clientId: cluster ? `heatwatch-serve-${cfg.cluster.instance}` : 'heatwatch-serve', ...cfg.mqtt } : cfg.mqtt,
      logger: log.child({ module: 'mqtt' }),
      name: mode,
      stations: mode === 'serve' ? [] : cfg.stations.map((s) => s.id),
      ...(source ? { subscriptions: source.subscriptions(), onMessage: (t: string, m: Buffer) => source!.handle(t, m), persistentSession: true } : {}),
      now,
    });
  }
  closers.add('mqtt', () => bus?.stop());
  // before the bus stops: the last samples' alarm events are still published
  closers.add('ingest pipeline', () => pipeline.stop());
  const adapters: Adapter[] = source ? [source] : [];
  const modbusDevices = cfg.stations.flatMap((s) => s.devices).filter((d) => d.protocol === 'modbus');
  if (modbusDevices.length && mode === 'run') adapters.push(new ModbusAdapter({ devices: modbusDevices, sink, logger: log.child({ module: 'modbus' }) }));
  const opcuaDevices = cfg.stations.flatMap((s) => s.devices).filter((d): d is OpcuaDeviceSpec => d.protocol === 'opcua' && mode === 'run');
  if (opcuaDevices.length) {
    // device-side alarms (alarms: import) become alarms of source 'device'; acknowledging one acknowledges it at the device
    const pointByNode = new Map(opcuaDevices.flatMap((d) => d.points.map((p) => [`${d.station}.${d.id} ${p.nodeId}`, p.id] as const)));
    const opcuaLog = log.child({ module: 'opcua' });
    // loaded only when a device speaks OPC UA: node-opcua warns about this Node version on import
    const { OpcuaAdapter } = await import('./adapters/opcua/adapter.ts');
    const opcua = new OpcuaAdapter({
      devices: opcuaDevices,
      sink,
      logger: opcuaLog,
      pkiDir: cfg.opcua.pkiDir,
      limits: { maxMessageSize: cfg.opcua.maxMessageSize, maxChunkCount: cfg.opcua.maxChunkCount },
      onDeviceAlarm: (ev) => {
        // the device point the condition watches: by its NodeId, else by its browse name without the namespace
        const sourcePoint = (ev.sourceNode && pointByNode.get(`${ev.station}.${ev.device} ${ev.sourceNode}`)) || ev.sourceName.replace(/^\d+:/, '');
        const key = `device_${ev.device}_${ev.conditionId.replace(/[^a-z0-9_-]+/gi, '_')}`;
        const view = alarms.raiseExternal({ key, station: ev.station, device: ev.device, source: 'device', class: 'device', priority: deviceSeverityToPriority(ev.severity), message: ev.message || ev.sourceName, active: ev.active, ref: ev.conditionId, sourcePoint });
        if (ev.acked && (view.state === 'unacked' || view.state === 'rtn_unacked')) {
          alarms.ack(view.id, 'device', 'acknowledged at the device', true).catch((err) => opcuaLog.error({ err, alarm: view.id }, 'could not record the acknowledgement made at the device'));
        }
      },
    });
    deviceAck = (x, user, comment) => {
      if (!x.ref) return;
      opcua.acknowledge(x.station, x.device, x.ref, comment ?? '', user).catch((err) => opcuaLog.error({ err, alarm: x.id }, `could not acknowledge ${x.id} at the device: ${(err as Error).message}`));
    };
    adapters.push(opcua);
  }

  const counters = (): DeviceCounters[] => adapters.flatMap((a) => a.counters());
  const metrics = createMetrics({ pipeline, adapters: counters, store: innerSeries, now });
  if (spool) registerSpoolMetrics(metrics, () => spool.stats(), now);
  if (bus) registerBusMetrics(metrics, () => bus!.stats());
  if (source) registerSourceMetrics(metrics, () => source!.stats());
  const startedAt = now();
  const live: LiveView = {
    latest: (point) => pipeline.latest.get(point),
    deviceStatus: (station, device) => board.get(station, device),
    onSamples: (listener) => pipeline.onSamples(listener),
    health: () =>
      serviceHealth({ pipeline, board, spool, bus, alarms, cluster, stateDb, queueLimit: cfg.ingest.queueLimit, stations: cfg.stations.length, counters, now, startedAt }),
  };

  // the on-call roster and notification channels: the ticket service writes their rows with each change
  const notify = new NotifyService({ db: stateDb, settings: cfg.notify, stations: cfg.stations, timeZone: cfg.site.timezone, now, audit: (e) => state.audit(e), logger: log.child({ module: 'notify' }) });
  await notify.init();
  notify.start();
  closers.add('notify', () => notify.stop());
  const tickets = new TicketService({
    db: stateDb,
    settings: cfg.tickets,
    stations: cfg.stations,
    timezone: cfg.site.timezone,
    source: cluster ? clusterAlarmSource(cluster, alarms) : alarms,
    ...(cluster ? { owns: (stations: string[]) => cluster.ownsNow(stations) } : {}),
    now,
    logger: log.child({ module: 'tickets' }),
    attachmentsDir: cfg.tickets.attachments.dir ?? join(stateFilesDir(cfg.storage.state), 'attachments'),
    audit: (e) => state.audit(e),
    plannedStops: () => modes.plannedStops(),
    onChange: notify.onChange,
    receivers: notify.receivers,
  });
  await tickets.init();
  registerTicketMetrics(metrics, tickets);
  registerAlarmMetrics(metrics, () => alarms.writeStats());
  closers.add('tickets', () => tickets.stop());
  const analytics = await AnalyticsService.open({
    db: stateDb,
    stations: cfg.stations,
    settings: cfg.analytics,
    timeZone: cfg.site.timezone,
    season: cfg.operations.season,
    series,
    now,
    contexts: pastContexts(cfg, modes),
    logger: log.child({ module: 'analytics' }),
  });
  pipeline.onSamples({ samples: (batch) => analytics.noteSamples(batch), poll: (p) => analytics.notePoll(p.station, p.ts) });

  const app = await buildApp({
    tickets,
    notify,
    config: cfg,
    auth: new TokenAuth(cfg.tokens, { authFailures: cfg.api.authFailures, now }),
    live,
    series,
    state,
    stateDb,
    metrics,
    logger: log,
    now,
    alarms,
    modes,
    analytics,
    ...(cluster ? { cluster } : {}),
  });
  closers.add('api', () => app.close());
  if (cluster) {
    relayLiveEvents(cluster, { alarms, tickets, broadcast: () => app.broadcast, onError: (err) => log.warn({ err }, 'cluster: relaying a live event failed') });
    relayModes(cluster, { modes, alarms, onError: (err) => log.warn({ err }, 'cluster: reading modes changed by another instance failed') });
    relayAnalyticsDays(cluster, analytics.daily, (err) => log.warn({ err }, 'cluster: telling the analytics days written failed'));
    relayRoster(cluster, notify, (err) => log.warn({ err }, 'cluster: reading the roster changed by another instance failed'));
  }
  alarms.onEvents((events) => {
    for (const event of events) app.broadcast?.({ type: 'alarm', event, alarm: alarms.get(event.alarmId) ?? null });
    for (const event of events) bus?.publishEvent('alarms', event.station, event);
  });
  alarms.start();
  // stopped before the tickets, so the tickets still take the alarm events of its last flush
  closers.add('alarms', () => alarms.stop());
  const stopBaselines = scheduleBaselines(
    new BaselineJob({
      alarms: alarms.engine.alarms,
      apply: (u) => alarms.baselines(u),
      history: series,
      contexts: pastContexts(cfg, modes),
      logger: log.child({ module: 'baselines' }),
    }),
    { now, logger: log.child({ module: 'baselines' }) },
  );
  closers.add('baselines', stopBaselines);
  tickets.onEvent((e) => bus?.publishEvent('tickets', e.ticket.station ?? e.ticket.area ?? 'incident', e));
  // the SLA clock, the outbox, analytics, reports and retention: on every instance alone, on one of a cluster
  const jobs: Record<string, ClusterJob> = {};
  tickets.subscribe();
  // alarm events an earlier run journaled during an outage, written at start: their tickets now
  const replayed = alarms.takeReplayed();
  if (replayed.length) void tickets.handleAlarmEvents(replayed).catch((err) => log.error({ err }, 'tickets of journaled alarm events failed'));
  jobs.tickets = { start: () => tickets.startTimers(), stop: () => tickets.stopTimers() };
  jobs.analytics = { start: () => analytics.start(), stop: () => analytics.stop() };
  closers.add('analytics', () => analytics.stop());
  // the daily and monthly analytics reports into <data folder>/reports at analytics.reports.dailyAt
  const { dailyAt, dir } = cfg.analytics.reports;
  const reportJob = analyticsReportJob({ analytics, db: stateDb, stations: cfg.stations, timeZone: cfg.site.timezone, season: cfg.operations.season, now, dailyAt, dir: reportFolderPath(dir, stateFilesDir(cfg.storage.state)), refreshDay: (day) => analytics.job.computeDay(day, now()), logger: log.child({ module: 'analytics-reports' }) });
  jobs.reports = reportJob;
  closers.add('analytics reports', () => reportJob.stop());

  if (cluster) {
    for (const [name, job] of Object.entries(jobs)) cluster.job(name, job);
    // retention's timer runs everywhere and prunes where this lease is held
    cluster.job('retention', { start: () => {}, stop: () => {} });
    closers.add('cluster', () => cluster.stop());
    // leases before telemetry: the stations held are known, and their records restored, before samples count
    await cluster.start();
  } else for (const job of Object.values(jobs)) job.start();

  await bus?.start();
  for (const a of adapters) {
    closers.add('adapter', () => a.stop());
    await a.start();
  }
  const stopRetention = scheduleRetention({
    series,
    stateDb,
    state: resolveStateRetention(cfg.storage.state.retention),
    now,
    logger: log,
    ...(cluster ? { prunesState: () => cluster.holdsJob('retention') } : {}),
  });
  closers.add('retention timer', stopRetention);

  let url = '';
  if (opts.listen !== false) {
    url = await app.listen({ host: cfg.api.host, port: cfg.api.port });
    log.info({ url }, 'heatwatch API listening');
  }

  return {
    url,
    app,
    pipeline,
    series,
    state,
    stateDb,
    metrics,
    adapters,
    alarms,
    modes,
    tickets,
    notify,
    analytics,
    ...(bus ? { bus } : {}),
    ...(spool ? { spool } : {}),
    // retention timer, adapters, baselines, alarms, tickets, API, pipeline, bus, state, series
    stop: () => closers.closeAll(),
  };
}
