/**
 * OPC UA adapter: subscriptions (or batched Read polling) for every configured opcua device,
 * samples and online/offline transitions to the sink, device-side alarms to `onDeviceAlarm`.
 *
 * - Plans are compiled once ({@link buildDevicePlan}); devices with the same endpoint,
 *   security and identity share one connection ({@link OpcuaConnection}).
 * - Quality from the StatusCode (Good → good, Uncertain → uncertain, Bad → bad, value null).
 * - Comm loss: a device with no good data for max(3 × pollMs, 60 s) goes offline (one
 *   timer for all devices); it goes online with the next good value. A connection failure
 *   before the first good value, or a login/certificate problem, makes it offline at once.
 *
 * @example
 * const a = new OpcuaAdapter({ devices, sink, logger, pkiDir: 'data/pki', onDeviceAlarm: (ev) => ... });
 * await a.start();
 * await a.acknowledge('hs-004', 'plc', 'ns=1;s=hs-004.alarm.pump1_trip', 'crew sent', 'dispatcher-1');
 * await a.stop();
 */
import type { Logger } from 'pino';
import type { OpcuaDeviceSpec } from '../../config/resolve.ts';
import { commLossWindowMs, type DeviceComm } from '../../model.ts';
import type { Adapter, AdapterSink, DeviceCounters } from '../types.ts';
import type { DeviceAlarmEvent } from './conditions.ts';
import { OpcuaConnection } from './connection.ts';
import { DeviceRuntime } from './device.ts';
import { buildDevicePlan, connectionKey } from './plan.ts';
import { openPki } from './pki.ts';

export interface OpcuaAdapterOptions {
  devices: OpcuaDeviceSpec[];
  sink: AdapterSink;
  logger: Logger;
  /** client PKI folder (config `opcua.pkiDir`, default data/pki) */
  pkiDir: string;
  /** largest message (bytes) and most chunks the client accepts (config `opcua.maxMessageSize`, `maxChunkCount`; default 4 MiB, 512) */
  limits?: { maxMessageSize: number; maxChunkCount: number };
  /** device-side conditions of devices with `alarms: import` */
  onDeviceAlarm?: (ev: DeviceAlarmEvent) => void;
  now?: () => number;
  /** override of the comm-loss window max(3 × pollMs, 60 s) — tests only */
  commLossMs?: (pollMs: number) => number;
}

export interface OpcuaDeviceCounters extends DeviceCounters {
  comm: DeviceComm;
  /** data-change notifications received */
  notifications: number;
  /** points whose node the server does not know */
  unknownPoints: number;
  connection: OpcuaConnection['state'];
  lastError?: string;
}

export class OpcuaAdapter implements Adapter {
  private readonly devices: DeviceRuntime[] = [];
  private readonly byKey = new Map<string, DeviceRuntime>();
  private readonly connOf = new Map<DeviceRuntime, OpcuaConnection>();
  private readonly connections: OpcuaConnection[] = [];
  private readonly now: () => number;
  private readonly windowOf: (pollMs: number) => number;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: OpcuaAdapterOptions) {
    this.now = opts.now ?? Date.now;
    this.windowOf = opts.commLossMs ?? commLossWindowMs;
    const t0 = this.now();
    const groups = new Map<string, DeviceRuntime[]>();
    for (const spec of opts.devices) {
      const plan = buildDevicePlan(spec);
      plan.commLossMs = this.windowOf(plan.pollMs);
      const d = new DeviceRuntime(plan, opts.logger.child({ station: spec.station, device: spec.id }), t0);
      this.devices.push(d);
      this.byKey.set(`${spec.station}/${spec.id}`, d);
      const key = connectionKey(plan);
      groups.set(key, [...(groups.get(key) ?? []), d]);
    }
    const pki = () => openPki(opts.pkiDir);
    for (const list of groups.values()) {
      const conn = new OpcuaConnection(list, {
        pki,
        emit: (batch) => {
          try {
            opts.sink.samples(batch);
          } catch (err) {
            opts.logger.error({ err }, 'sink rejected OPC UA samples');
          }
        },
        status: (d, comm, error) => this.setComm(d, comm, error),
        ...(opts.onDeviceAlarm ? { onDeviceAlarm: opts.onDeviceAlarm } : {}),
        logger: opts.logger,
        now: this.now,
        limits: opts.limits ?? { maxMessageSize: 4 * 2 ** 20, maxChunkCount: 512 },
      });
      this.connections.push(conn);
      for (const d of list) this.connOf.set(d, conn);
    }
  }

  async start(): Promise<void> {
    if (this.timer) return;
    const minWindow = Math.min(...this.devices.map((d) => d.plan.commLossMs), 60_000);
    this.timer = setInterval(() => this.checkCommLoss(), Math.max(200, Math.min(5000, minWindow / 4)));
    this.timer.unref();
    for (const c of this.connections) c.start();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.all(this.connections.map((c) => c.stop()));
  }

  counters(): OpcuaDeviceCounters[] {
    return this.devices.map((d) => ({
      station: d.plan.station,
      device: d.plan.device,
      polls: d.polls,
      errors: d.errors,
      lastLatenessMs: d.lastLatenessMs,
      comm: d.comm,
      notifications: d.notifications,
      unknownPoints: d.unknown.size,
      connection: this.connOf.get(d)!.state,
      ...(d.lastError ? { lastError: d.lastError } : {}),
    }));
  }

  /**
   * Acknowledges a device condition on its server (Acknowledge with the latest EventId).
   * The OPC UA comment carries the operator's name: `comment (user)`.
   */
  async acknowledge(station: string, device: string, conditionId: string, comment: string, user: string): Promise<void> {
    const d = this.byKey.get(`${station}/${device}`);
    if (!d) throw new Error(`unknown OPC UA device ${station}/${device}`);
    if (d.plan.options.alarms !== 'import') throw new Error(`${d.plan.prefix}alarms are not imported from this device`);
    await this.connOf.get(d)!.acknowledge(d, conditionId, user ? `${comment} (${user})` : comment);
  }

  private checkCommLoss(): void {
    const now = this.now();
    for (const d of this.devices) {
      if (d.comm === 'offline' || now - d.lastGoodAt <= d.plan.commLossMs) continue;
      const why = d.lastError || (d.goodCount === 0 ? 'every point is bad' : 'no data');
      this.setComm(d, 'offline', `${d.plan.prefix}no good data for ${Math.round((now - d.lastGoodAt) / 1000)} s (${why})`);
    }
  }

  private setComm(d: DeviceRuntime, comm: DeviceComm, error?: string): void {
    if (d.comm === comm) return;
    const prev = d.comm;
    d.comm = comm;
    const ts = this.now();
    if (comm === 'online') {
      d.log.info({ prev, next: comm }, `${d.plan.prefix}online`);
      this.opts.sink.status({ station: d.plan.station, device: d.plan.device, comm, ts });
    } else {
      d.log.warn({ prev, next: comm, err: error }, `${d.plan.prefix}${comm}: ${error ?? ''}`);
      this.opts.sink.status({ station: d.plan.station, device: d.plan.device, comm, ts, ...(error ? { error } : {}) });
    }
  }
}
