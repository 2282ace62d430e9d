/**
 * One polled Modbus device: its compiled read plan and decoders (shared by the devices of a
 * template), its point ids (built once), its value columns, and its poll outcome handling
 * (samples, online/offline transitions, unit backoff, late and skipped polls).
 */
import type { Logger } from 'pino';
import type { ModbusDeviceSpec } from '../../config/resolve.ts';
import { pointId, type DeviceComm, type DeviceStatus, type Sample } from '../../model.ts';
import type { AdapterSink } from '../types.ts';
import { compileRequest, decodeInto, TAG_NULL, type RequestDecoder } from './decode-plan.ts';
import { pollSamples, type PollColumns } from '../../poll-columns.ts';
import type { Endpoint, EndpointJob, FailureCause } from './endpoint.ts';
import { buildReadPlan, type ReadRequest } from './plan.ts';
import { probeDelayMs } from './probe.ts';
import { intern } from '../../intern.ts';
import { lateAfterMs, type ScheduledJob } from './schedule.ts';

/** What a device needs from its adapter. */
export interface DeviceOwner {
  readonly sink: AdapterSink;
  recordLateness(ms: number): void;
}

/** At most one log line per device per minute about late or skipped polls. */
const TIMING_LOG_EVERY_MS = 60_000;

interface SharedPlan {
  plan: ReadRequest[];
  decoders: RequestDecoder[];
}

/**
 * Devices on one template share its point list (config/resolve.ts), so they share its read plan
 * and decoders too: thousands of identical plans would be memory and GC work for nothing.
 */
const plans = new WeakMap<ModbusDeviceSpec['points'], Map<number, SharedPlan>>();
function sharedPlan(spec: ModbusDeviceSpec): SharedPlan {
  let byGap = plans.get(spec.points);
  if (!byGap) plans.set(spec.points, (byGap = new Map()));
  let p = byGap.get(spec.maxGap);
  if (!p) {
    const plan = buildReadPlan(spec.points, { maxGap: spec.maxGap });
    byGap.set(spec.maxGap, (p = { plan, decoders: plan.map(compileRequest) }));
  }
  return p;
}

export class DevicePoller implements EndpointJob, ScheduledJob {
  nextAt = 0;
  periodMs: number;
  heapIndex = -1;
  /** slots the scheduler skipped because the process fell a period behind */
  missed = 0;
  unit: number;
  timeoutMs: number;
  plan: ReadRequest[];
  readonly decoders: RequestDecoder[];
  readonly inFlight: number;
  reqIdx = 0;
  answered = 0;
  busy = false;
  slot = 0;
  ts = 0;
  comm: DeviceComm = 'unknown';
  lastError = '';
  polls = 0;
  errors = 0;
  /** slots skipped because the previous poll was still running */
  overlapSkips = 0;
  decodeErrors = 0;
  lastLatenessMs = 0;
  /** polls dispatched more than lateAfter after their slot */
  late = 0;
  readonly lateAfter: number;
  /** silent polls in a row (timeout, exception 0x0A/0x0B); > 0 = in backoff */
  silentStreak = 0;
  /** slot from which the next probe may go out while in backoff */
  probeAt = 0;
  /** the poll in flight is a probe holding the connection's gate */
  probing = false;
  deferred = 0;
  readonly ids: string[];
  /** the poll's decoded values by point index (TAG_* in tags says what each holds) */
  private readonly vals: Float64Array;
  private readonly tags: Uint8Array;
  readonly prefix: string;
  // late/skipped since the last timing log line
  private lastTimingLog = -Infinity;
  private lateSince = 0;
  private skippedSince = 0;
  private worstLateMs = 0;
  private missedSeen = 0;

  constructor(
    readonly spec: ModbusDeviceSpec,
    readonly ep: Endpoint,
    readonly log: Logger,
    private readonly owner: DeviceOwner,
    private readonly now: () => number,
  ) {
    this.periodMs = spec.pollMs;
    this.unit = spec.unit;
    this.timeoutMs = spec.timeoutMs;
    this.inFlight = spec.inFlight;
    const shared = sharedPlan(spec);
    this.plan = shared.plan;
    this.decoders = shared.decoders;
    this.ids = spec.points.map((p) => intern(pointId(spec.station, spec.id, p.id)));
    this.vals = new Float64Array(this.ids.length);
    this.tags = new Uint8Array(this.ids.length).fill(TAG_NULL);
    this.prefix = `${spec.station}/${spec.id}: `;
    this.lateAfter = lateAfterMs(spec.pollMs);
  }

  /**
   * The scheduler reached this device's slot at `now`: counts a late start, the slots the
   * scheduler skipped since the last one, and an overlap skip (`overlap`: the previous poll is
   * still running); logs them at most once a minute.
   */
  noteDue(slot: number, now: number, overlap: boolean): void {
    const lateBy = now - slot;
    if (lateBy > this.lateAfter) {
      this.late++;
      this.lateSince++;
      if (lateBy > this.worstLateMs) this.worstLateMs = lateBy;
    }
    const missedNow = this.missed - this.missedSeen;
    this.missedSeen = this.missed;
    const skipped = missedNow + (overlap ? 1 : 0);
    if (overlap) this.overlapSkips++;
    this.skippedSince += skipped;
    if ((this.lateSince > 0 || this.skippedSince > 0) && now - this.lastTimingLog >= TIMING_LOG_EVERY_MS) {
      const parts: string[] = [];
      if (this.lateSince > 0) parts.push(`${this.lateSince} poll(s) started over ${this.lateAfter} ms late (worst ${this.worstLateMs} ms)`);
      if (this.skippedSince > 0) parts.push(`${this.skippedSince} poll(s) skipped (previous poll still running or process busy)`);
      const since = Number.isFinite(this.lastTimingLog) ? ` since ${new Date(this.lastTimingLog).toISOString()}` : '';
      this.log.warn(
        { late: this.lateSince, skipped: this.skippedSince, worstLateMs: this.worstLateMs, lateAfterMs: this.lateAfter, periodMs: this.periodMs },
        `${this.prefix}${parts.join(', ')}${since}; logged at most once a minute`,
      );
      this.lastTimingLog = now;
      this.lateSince = this.skippedSince = this.worstLateMs = 0;
    }
  }

  started(now: number): void {
    this.ts = now;
    this.lastLatenessMs = now - this.slot;
    this.owner.recordLateness(this.lastLatenessMs);
  }

  got(bytes: Buffer, reqIdx: number): void {
    decodeInto(this.decoders[reqIdx], bytes, this.vals, this.tags);
  }

  succeeded(): void {
    this.endProbe();
    this.silentStreak = 0;
    this.probeAt = 0;
    const tags = this.tags;
    const n = this.ids.length;
    for (let i = 0; i < n; i++) if (tags[i] === TAG_NULL) this.decodeErrors++;
    this.polls++;
    this.busy = false;
    const poll: PollColumns = { ids: this.ids, station: this.spec.station, ts: this.ts, vals: this.vals, tags };
    // columns where the sink takes them: no Sample object per value
    this.toSink((sink) => (sink.poll ? sink.poll(poll) : sink.samples(pollSamples(poll))));
    tags.fill(TAG_NULL);
    this.cameOnline();
  }

  private cameOnline(): void {
    if (this.comm !== 'online') {
      const prev = this.comm;
      this.comm = 'online';
      this.lastError = '';
      this.log.info({ prev, next: 'online' }, `${this.prefix}online`);
      this.status({ station: this.spec.station, device: this.spec.id, comm: 'online', ts: this.ts });
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
    this.tags.fill(TAG_NULL);
    this.polls++;
    this.errors++;
    this.busy = false;
    this.emit(this.allBad(this.ts));
    this.wentOffline(error);
  }

  /**
   * A period of a unit in backoff that sends no request: every point bad, as if the poll had
   * failed again (same error, so no new log or status).
   */
  deferredPoll(now: number): void {
    this.polls++;
    this.errors++;
    this.deferred++;
    this.emit(this.allBad(now));
  }

  /** The probe interval while in backoff, else 0. */
  backoffMs(): number {
    return this.silentStreak > 0 ? probeDelayMs(this.silentStreak, this.periodMs) : 0;
  }

  private allBad(ts: number): Sample[] {
    const n = this.ids.length;
    const batch = new Array<Sample>(n);
    for (let i = 0; i < n; i++) batch[i] = { point: this.ids[i], ts, value: null, quality: 'bad' };
    return batch;
  }

  private emit(batch: Sample[]): void {
    this.toSink((sink) => sink.samples(batch));
  }

  /** A throwing sink must not stall the connection queue: log and carry on. */
  private toSink(send: (sink: AdapterSink) => void): void {
    try {
      send(this.owner.sink);
    } catch (err) {
      this.log.error({ err }, `${this.prefix}sink rejected samples`);
    }
  }

  private status(s: DeviceStatus): void {
    this.owner.sink.status(s);
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
      this.status({ station: this.spec.station, device: this.spec.id, comm: 'offline', ts: this.ts, error });
    } else if (error !== this.lastError) {
      this.lastError = error;
      this.log.debug({ err: error }, error);
    }
  }
}
