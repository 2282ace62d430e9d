/**
 * Modbus TCP adapter: polls every configured device on its own period and hands samples and
 * online/offline transitions to the sink.
 *
 * - Plans are compiled once at construction ({@link buildReadPlan}); polling only executes them.
 * - One connection per endpoint (host:port), shared by the devices (unit ids) behind it, with
 *   requests serialised per connection ({@link Endpoint}). Endpoints are independent: a hung
 *   or garbage-spewing peer never delays devices on other endpoints. On a shared gateway a
 *   silent unit delays its neighbours by at most its timeout per poll.
 * - Unit backoff: a unit that stops answering (timeouts, exceptions 0x0A/0x0B) is probed after
 *   1, 2, 4, … periods (capped, see probe.ts) instead of every period, and probes on one
 *   connection are paced ({@link ProbeGate}); in the periods between, the device still reports
 *   bad samples. The first answer puts it back on its period. So many silent units behind one
 *   gateway no longer starve the units that answer.
 * - One scheduler (min-heap, one timer) for all devices: slot n+1 = slot n + pollMs, missed
 *   slots skipped; lateness = time the poll's first request is sent − its slot.
 * - A failed read makes every point of the device `bad` (value null, ts = poll time); a
 *   non-finite float makes only that point bad. Logs and status go out on transitions only.
 *
 * @example
 * const a = new ModbusAdapter({ devices, sink, logger });
 * await a.start(); ... await a.stop();
 */
import type { Logger } from 'pino';
import type { ModbusDeviceSpec } from '../../config/resolve.ts';
import type { DeviceComm } from '../../model.ts';
import type { Adapter, AdapterSink, DeviceCounters } from '../types.ts';
import { DevicePoller } from './device.ts';
import { Endpoint } from './endpoint.ts';
import { PollScheduler } from './schedule.ts';

export interface ModbusAdapterOptions {
  devices: ModbusDeviceSpec[];
  sink: AdapterSink;
  logger: Logger;
  /** wall clock (ms epoch) for timestamps and the schedule; default Date.now */
  now?: () => number;
}

export interface ModbusDeviceCounters extends DeviceCounters {
  /** polls the scheduler started more than `lateAfterMs` after their slot (the process was busy) */
  late: number;
  /** the late threshold: a quarter of the period, 50 ms to 1 s */
  lateAfterMs: number;
  /** slots skipped: the previous poll was still running, or the scheduler fell behind */
  skipped: number;
  /** points reported bad because they decoded to NaN/Infinity */
  decodeErrors: number;
  /** periods reported bad without a request because the unit is in backoff (also in polls and errors) */
  deferred: number;
  /** the unit's probe interval while it is in backoff, 0 while it is polled every period */
  unitBackoffMs: number;
  comm: DeviceComm;
  lastError?: string;
}

export interface EndpointState {
  endpoint: string;
  state: Endpoint['state'];
  units: number;
  /** connect attempts so far */
  connects: number;
  /** the backoff the next failure will wait (a random delay in [backoff/2, backoff]) */
  backoffMs: number;
  /** units on this connection in backoff (not answering) */
  silentUnits: number;
  /** probes of silent units sent so far */
  probes: number;
  lastError?: string;
}

const LATENESS_RING = 8192;

export class ModbusAdapter implements Adapter {
  readonly sink: AdapterSink;
  private readonly now: () => number;
  private readonly devices: DevicePoller[] = [];
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly scheduler: PollScheduler<DevicePoller>;
  private readonly lateness = new Float64Array(LATENESS_RING);
  private latenessCount = 0;
  private started = false;

  constructor(opts: ModbusAdapterOptions) {
    this.sink = opts.sink;
    this.now = opts.now ?? Date.now;
    this.scheduler = new PollScheduler<DevicePoller>(this.now, (d, slot, now) => this.poll(d, slot, now));
    const unitsPerEp = new Map<string, Set<number>>();
    for (const spec of opts.devices) {
      const key = `${spec.host}:${spec.port}`;
      let ep = this.endpoints.get(key);
      if (!ep) {
        ep = new Endpoint(spec.host, spec.port, this.now);
        this.endpoints.set(key, ep);
        unitsPerEp.set(key, new Set());
      }
      unitsPerEp.get(key)!.add(spec.unit);
      ep.connectTimeoutMs = Math.max(ep.connectTimeoutMs, spec.timeoutMs);
      const log = opts.logger.child({ station: spec.station, device: spec.id });
      this.devices.push(new DevicePoller(spec, ep, log, this, this.now));
    }
    for (const [key, units] of unitsPerEp) this.endpoints.get(key)!.units = units.size;
  }

  /** Opens every connection and starts polling; devices are staggered across their period. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const ep of this.endpoints.values()) ep.connect();
    const t0 = this.now();
    const n = this.devices.length;
    this.devices.forEach((d, i) => this.scheduler.add(d, t0 + Math.floor((i * d.periodMs) / n)));
  }

  async stop(): Promise<void> {
    this.scheduler.stop();
    for (const ep of this.endpoints.values()) ep.stop();
  }

  counters(): ModbusDeviceCounters[] {
    return this.devices.map((d) => ({
      station: d.spec.station,
      device: d.spec.id,
      polls: d.polls,
      errors: d.errors,
      lastLatenessMs: d.lastLatenessMs,
      late: d.late,
      lateAfterMs: d.lateAfter,
      skipped: d.missed + d.overlapSkips,
      decodeErrors: d.decodeErrors,
      deferred: d.deferred,
      unitBackoffMs: d.backoffMs(),
      comm: d.comm,
      ...(d.lastError ? { lastError: d.lastError } : {}),
    }));
  }

  /** Connection state per endpoint, for /metrics and tests. */
  endpointStates(): EndpointState[] {
    const silent = new Map<Endpoint, number>();
    for (const d of this.devices) if (d.silentStreak > 0) silent.set(d.ep, (silent.get(d.ep) ?? 0) + 1);
    return [...this.endpoints.values()].map((ep) => ({
      endpoint: ep.key,
      state: ep.state,
      units: ep.units,
      connects: ep.connects,
      backoffMs: ep.backoffMs,
      silentUnits: silent.get(ep) ?? 0,
      probes: ep.probes.probes,
      ...(ep.state === 'down' ? { lastError: ep.lastError } : {}),
    }));
  }

  /** The most recent poll latenesses (ms, up to 8192), oldest first. */
  latenessSamples(): Float64Array {
    const n = Math.min(this.latenessCount, LATENESS_RING);
    const out = new Float64Array(n);
    const start = this.latenessCount - n;
    for (let i = 0; i < n; i++) out[i] = this.lateness[(start + i) % LATENESS_RING];
    return out;
  }

  /** Percentile (0..100) of {@link latenessSamples}; NaN when nothing was polled yet. */
  latenessPercentile(p: number): number {
    return percentile(this.latenessSamples(), p);
  }

  /** @internal */
  recordLateness(ms: number): void {
    this.lateness[this.latenessCount % LATENESS_RING] = ms;
    this.latenessCount++;
  }

  private poll(d: DevicePoller, slot: number, now: number): void {
    d.noteDue(slot, now, d.busy);
    if (d.busy) return;
    d.slot = slot;
    if (d.silentStreak > 0) {
      // in backoff: probe only when due and the connection's probe gate is free, else report bad
      if (slot < d.probeAt || !d.ep.probes.tryTake(now)) return d.deferredPoll(now);
      d.probing = true;
    }
    d.busy = true;
    d.ep.submit(d);
  }
}

/** Nearest-rank percentile of a sample (sorted copy). */
export function percentile(samples: ArrayLike<number>, p: number): number {
  if (samples.length === 0) return NaN;
  const s = Float64Array.from(samples).sort();
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank];
}
