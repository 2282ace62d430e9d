/**
 * Modbus TCP adapter: polls every configured device on its own period and hands samples and
 * online/offline transitions to the sink.
 *
 * - Plans are compiled once at construction ({@link buildReadPlan}); polling only executes them.
 * - One connection per endpoint (host:port), shared by the devices (unit ids) behind it, with
 *   requests serialised per connection ({@link Endpoint}). Endpoints are independent: a hung
 *   or garbage-spewing peer never delays devices on other endpoints. On a shared gateway a
 *   silent unit delays its neighbours by at most its timeout per poll.
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
import { Endpoint, type EndpointJob } from './endpoint.ts';
import { buildReadPlan, type ReadRequest } from './plan.ts';
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
  readonly ids: string[];
  readonly values: Array<number | boolean | null>;
  readonly prefix: string;

  constructor(
    readonly spec: ModbusDeviceSpec,
    readonly ep: Endpoint,
    readonly log: Logger,
    private readonly owner: ModbusAdapter,
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

  failed(where: string | null, message: string): void {
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
      this.devices.push(new DevicePoller(spec, ep, log, this));
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
      comm: d.comm,
      ...(d.lastError ? { lastError: d.lastError } : {}),
    }));
  }

  /** Connection state per endpoint, for /metrics and tests. */
  endpointStates(): EndpointState[] {
    return [...this.endpoints.values()].map((ep) => ({
      endpoint: ep.key,
      state: ep.state,
      units: ep.units,
      connects: ep.connects,
      backoffMs: ep.backoffMs,
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
    d.busy = true;
    d.slot = slot;
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
