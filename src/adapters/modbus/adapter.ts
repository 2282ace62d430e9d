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
import { pointId, type DeviceComm, type Sample } from '../../model.ts';
import type { Adapter, AdapterSink, DeviceCounters } from '../types.ts';
import { decodePoint } from './decode.ts';
import { Endpoint, type EndpointJob, type FailureCause } from './endpoint.ts';
import { buildReadPlan, type ReadRequest } from './plan.ts';
import { probeDelayMs } from './probe.ts';
import { PollScheduler, type ScheduledJob } from './schedule.ts';

export interface ModbusAdapterOptions {
  devices: ModbusDeviceSpec[];
  sink: AdapterSink;
  logger: Logger;
  /** wall clock (ms epoch) for timestamps and the schedule; default Date.now */
  now?: () => number;
}

export interface ModbusDeviceCounters extends DeviceCounters {
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

/**
 * Devices on one template share its point list (config/resolve.ts), so they share its read plan
 * too: thousands of identical plans would be memory and GC work for nothing. Plans are never mutated.
 */
const plans = new WeakMap<ModbusDeviceSpec['points'], Map<number, ReadRequest[]>>();
function sharedPlan(spec: ModbusDeviceSpec): ReadRequest[] {
  let byGap = plans.get(spec.points);
  if (!byGap) plans.set(spec.points, (byGap = new Map()));
  let plan = byGap.get(spec.maxGap);
  if (!plan) byGap.set(spec.maxGap, (plan = buildReadPlan(spec.points, { maxGap: spec.maxGap })));
  return plan;
}

class DevicePoller implements EndpointJob, ScheduledJob {
  nextAt = 0;
  periodMs: number;
  heapIndex = -1;
  missed = 0;
  unit: number;
  timeoutMs: number;
  plan: ReadRequest[];
  reqIdx = 0;
  busy = false;
  slot = 0;
  ts = 0;
  comm: DeviceComm = 'unknown';
  lastError = '';
  polls = 0;
  errors = 0;
  overlapSkips = 0;
  decodeErrors = 0;
  lastLatenessMs = 0;
  /** silent polls in a row (timeout, exception 0x0A/0x0B); > 0 = in backoff */
  silentStreak = 0;
  /** slot from which the next probe may go out while in backoff */
  probeAt = 0;
  /** the poll in flight is a probe holding the connection's gate */
  probing = false;
  deferred = 0;
  readonly ids: string[];
  readonly values: Array<number | boolean | null>;
  readonly prefix: string;

  constructor(
    readonly spec: ModbusDeviceSpec,
    readonly ep: Endpoint,
    readonly log: Logger,
    private readonly owner: ModbusAdapter,
    private readonly now: () => number,
  ) {
    this.periodMs = spec.pollMs;
    this.unit = spec.unit;
    this.timeoutMs = spec.timeoutMs;
    this.plan = sharedPlan(spec);
    this.ids = spec.points.map((p) => pointId(spec.station, spec.id, p.id));
    this.values = new Array(spec.points.length).fill(null);
    this.prefix = `${spec.station}/${spec.id}: `;
  }

  started(now: number): void {
    this.ts = now;
    this.lastLatenessMs = now - this.slot;
    this.owner.recordLateness(this.lastLatenessMs);
  }

  got(req: ReadRequest, data: ArrayLike<number | boolean>): void {
    const pts = req.points;
    for (let i = 0; i < pts.length; i++) {
      const pp = pts[i];
      this.values[pp.index] = decodePoint(pp.point, data, pp.offset);
    }
  }

  succeeded(): void {
    this.endProbe();
    this.silentStreak = 0;
    this.probeAt = 0;
    const n = this.ids.length;
    const batch = new Array<Sample>(n);
    for (let i = 0; i < n; i++) {
      const v = this.values[i];
      if (v === null) this.decodeErrors++;
      batch[i] = { point: this.ids[i], ts: this.ts, value: v, quality: v === null ? 'bad' : 'good' };
      this.values[i] = null;
    }
    this.polls++;
    this.busy = false;
    this.emit(batch);
    if (this.comm !== 'online') {
      const prev = this.comm;
      this.comm = 'online';
      this.lastError = '';
      this.log.info({ prev, next: 'online' }, `${this.prefix}online`);
      this.owner.sink.status({ station: this.spec.station, device: this.spec.id, comm: 'online', ts: this.ts });
    }
  }

  /** A throwing sink must not stall the connection queue: log and carry on. */
  private emit(batch: Sample[]): void {
    try {
      this.owner.sink.samples(batch);
    } catch (err) {
      this.log.error({ err }, `${this.prefix}sink rejected samples`);
    }
  }

  failed(where: string | null, message: string, cause: FailureCause): void {
    this.endProbe();
    if (cause === 'silent') {
      const was = this.backoffMs();
      this.silentStreak++;
      const next = this.backoffMs();
      this.probeAt = this.slot + next;
      if (next !== was) this.log.debug({ probeMs: next }, `${this.prefix}not answering: next probe in ${next} ms`);
    } else if (cause === 'answered') {
      this.silentStreak = 0;
      this.probeAt = 0;
    }
    const error = where ? `${this.prefix}read ${where}: ${message}` : `${this.prefix}${message}`;
    const n = this.ids.length;
    const batch = new Array<Sample>(n);
    for (let i = 0; i < n; i++) {
      batch[i] = { point: this.ids[i], ts: this.ts, value: null, quality: 'bad' };
      this.values[i] = null;
    }
    this.polls++;
    this.errors++;
    this.busy = false;
    this.emit(batch);
    this.wentOffline(error);
  }

  /**
   * A period of a unit in backoff that sends no request: every point bad, as if the poll had
   * failed again (same error, so no new log or status).
   */
  deferredPoll(now: number): void {
    const n = this.ids.length;
    const batch = new Array<Sample>(n);
    for (let i = 0; i < n; i++) batch[i] = { point: this.ids[i], ts: now, value: null, quality: 'bad' };
    this.polls++;
    this.errors++;
    this.deferred++;
    this.emit(batch);
  }

  /** The probe interval while in backoff, else 0. */
  backoffMs(): number {
    return this.silentStreak > 0 ? probeDelayMs(this.silentStreak, this.periodMs) : 0;
  }

  private endProbe(): void {
    if (!this.probing) return;
    this.probing = false;
    const now = this.now();
    this.ep.probes.release(now, now - this.ts);
  }

  private wentOffline(error: string): void {
    if (this.comm !== 'offline') {
      const prev = this.comm;
      this.comm = 'offline';
      this.lastError = error;
      this.log.warn({ prev, next: 'offline', err: error }, error);
      this.owner.sink.status({ station: this.spec.station, device: this.spec.id, comm: 'offline', ts: this.ts, error });
    } else if (error !== this.lastError) {
      this.lastError = error;
      this.log.debug({ err: error }, error);
    }
  }
}

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
    this.scheduler = new PollScheduler<DevicePoller>(this.now, (d, slot) => this.poll(d, slot));
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

  private poll(d: DevicePoller, slot: number): void {
    if (d.busy) {
      d.overlapSkips++;
      return;
    }
    d.slot = slot;
    if (d.silentStreak > 0) {
      // in backoff: probe only when due and the connection's probe gate is free, else report bad
      const now = this.now();
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
