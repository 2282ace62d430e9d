/**
 * One OPC UA client connection (secure channel + session + one subscription) shared by the
 * devices with the same endpoint, security and identity ({@link connectionKey}).
 *
 * Life cycle, all owned here (node-opcua's own reconnection is switched off, because after a
 * server restart it cannot always reactivate the old session and its subscriptions):
 *   connect → session → resolve `nsu=` namespaces → Read every point once (unknown nodes are
 *   marked bad and logged once) → subscription with one monitored-item group per subscribing
 *   device (+ an event item on the Server object for `alarms: import`, then ConditionRefresh)
 *   → poll timers for `mode: poll` devices.
 * Any loss (channel closed, session keep-alive failure, subscription terminated, no publish
 * response for too long, a poll failing with a connection-level status) tears everything
 * down, reports every point bad once, and reconnects with exponential backoff and jitter;
 * a reconnect rebuilds the session, subscription and items from the plan.
 */
import type { Logger } from 'pino';
import type { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import {
  AttributeIds,
  coerceNodeId,
  DataType,
  MessageSecurityMode,
  NodeId,
  OPCUAClient,
  SecurityPolicy,
  StatusCodes,
  UserTokenType,
  type ClientSession,
  type ClientSubscription,
  type DataValue,
  type ReadValueIdOptions,
  type UserIdentityInfo,
} from 'node-opcua-client';
import type { DeviceComm, Sample } from '../../model.ts';
import type { DeviceAlarmEvent } from './conditions.ts';
import { DeviceRuntime } from './device.ts';
import { explain, isConfigError, isConnectionLevel, withTimeout } from './failure.ts';
import { monitorEvents, monitorValues } from './monitor.ts';
import { backoffMs, ITEMS_PER_REQUEST, qualityOf, sampleValue, splitNamespaceUri, type DevicePlan } from './plan.ts';
import { trustCertificateFile } from './pki.ts';

export interface ConnectionContext {
  pki: () => Promise<OPCUACertificateManager>;
  emit: (batch: Sample[]) => void;
  status: (d: DeviceRuntime, comm: DeviceComm, error?: string) => void;
  onDeviceAlarm?: (ev: DeviceAlarmEvent) => void;
  logger: Logger;
  now: () => number;
  /** the client's receive limits: a server cannot make it buffer more than this */
  limits: { maxMessageSize: number; maxChunkCount: number };
}

const CONNECT_TIMEOUT_MS = 15_000;

export class OpcuaConnection {
  state: 'idle' | 'connecting' | 'up' | 'down' | 'stopped' = 'idle';
  connects = 0;
  attempt = 0;
  lastError = '';
  lastHeardAt = 0;
  private client: OPCUAClient | null = null;
  private session: ClientSession | null = null;
  private subscription: ClientSubscription | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private pending: Sample[] = [];
  private flushScheduled = false;
  private readonly endpoint: string;
  private readonly opts: DevicePlan['options'];
  private readonly prefix: string;
  private generation = 0;

  constructor(
    readonly devices: DeviceRuntime[],
    private readonly ctx: ConnectionContext,
  ) {
    const first = devices[0].plan;
    this.endpoint = first.endpoint;
    this.opts = first.options;
    this.prefix = devices.length === 1 ? first.prefix : `${first.endpoint} (${devices.length} devices): `;
  }

  start(): void {
    if (this.state !== 'idle') return;
    void this.connect();
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    this.generation++;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.teardown();
  }

  /** Calls Acknowledge on the server for the latest event of a device condition. */
  async acknowledge(d: DeviceRuntime, conditionId: string, comment: string): Promise<void> {
    const eventId = d.eventIds.get(conditionId);
    if (!eventId) throw new Error(`${d.plan.prefix}no event seen for condition ${conditionId}`);
    const session = this.session;
    if (!session || this.state !== 'up') throw new Error(`${d.plan.prefix}not connected to ${this.endpoint}: ${this.lastError || 'connecting'}`);
    const sc = await session.acknowledgeCondition(coerceNodeId(conditionId), eventId, comment);
    if (sc.isNotGood()) throw new Error(`${d.plan.prefix}Acknowledge ${conditionId} refused by the server: ${sc.name}`);
  }

  // ---- connecting ------------------------------------------------------------------------

  private async connect(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'connecting';
    const gen = ++this.generation;
    this.connects++;
    try {
      await withTimeout(this.open(gen), CONNECT_TIMEOUT_MS, `connect to ${this.endpoint}`);
      if (gen !== this.generation) return;
      this.state = 'up';
      this.attempt = 0;
      this.lastError = '';
      this.lastHeardAt = this.ctx.now();
      this.ctx.logger.info({ endpoint: this.endpoint, connects: this.connects }, `${this.prefix}connected to ${this.endpoint}`);
    } catch (err) {
      if (gen !== this.generation || (this.state as string) === 'stopped') return;
      this.fail(explain(err, this.endpoint, this.opts), isConfigError(err));
    }
  }

  private async open(gen: number): Promise<void> {
    const cm = await this.ctx.pki();
    if (this.opts.serverCertificate) await trustCertificateFile(cm, this.opts.serverCertificate);
    const client = OPCUAClient.create({
      applicationName: 'heatwatch',
      endpointMustExist: false,
      securityMode: MessageSecurityMode[this.opts.securityMode],
      securityPolicy: SecurityPolicy[this.opts.securityPolicy],
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
      clientCertificateManager: cm,
      keepSessionAlive: true,
      keepAliveInterval: 5000,
      requestedSessionTimeout: 60_000,
      // sent in Hello (the server must not send more) and enforced on receive
      transportSettings: { maxMessageSize: this.ctx.limits.maxMessageSize, maxChunkCount: this.ctx.limits.maxChunkCount },
    });
    this.client = client;
    const onLost = (what: string) => () => {
      if (gen === this.generation && this.state === 'up') this.fail(`${this.endpoint}: ${what}`, false);
    };
    client.on('connection_lost', onLost('connection lost'));
    client.on('close', onLost('connection closed'));
    await client.connect(this.endpoint);
    const identity: UserIdentityInfo = this.opts.username
      ? { type: UserTokenType.UserName, userName: this.opts.username, password: this.opts.password ?? '' }
      : { type: UserTokenType.Anonymous };
    const session = await client.createSession(identity);
    this.session = session;
    session.on('keepalive_failure', onLost('session keep-alive failed'));
    session.on('session_closed', onLost('session closed by the server'));
    if (gen !== this.generation) return;

    await this.resolveNodeIds(session);
    await this.readAll(session, this.devices, true);

    const subscribers = this.devices.filter((d) => d.plan.options.mode === 'subscribe');
    const alarmDevices = this.devices.filter((d) => d.plan.options.alarms === 'import');
    if (subscribers.length || alarmDevices.length) {
      const publishMs = Math.min(...this.devices.map((d) => d.plan.pollMs));
      const sub = await session.createSubscription2({
        requestedPublishingInterval: publishMs,
        requestedLifetimeCount: Math.max(30, Math.ceil(120_000 / publishMs)),
        requestedMaxKeepAliveCount: Math.max(3, Math.ceil(10_000 / publishMs)),
        maxNotificationsPerPublish: 0,
        publishingEnabled: true,
        priority: 1,
      });
      this.subscription = sub;
      const heard = () => {
        this.lastHeardAt = this.ctx.now();
      };
      sub.on('keepalive', () => {
        heard();
        this.keepAlive();
      });
      sub.on('received_notifications', heard);
      sub.on('terminated', onLost('subscription terminated'));
      sub.on('status_changed', (sc) => {
        if (sc.isNotGood()) onLost(`subscription status ${sc.name}`)();
      });
      for (const d of subscribers) {
        await monitorValues(sub, d, (index, dv) => {
          const now = this.ctx.now();
          this.deliver(d, [this.toSample(d, index, dv, now)], now);
        });
      }
      if (alarmDevices.length) await monitorEvents(session, sub, alarmDevices, this.ctx.onDeviceAlarm);
      const silentMs = Math.max(30_000, 3 * publishMs * Math.max(3, Math.ceil(10_000 / publishMs)));
      this.watchdog = setInterval(() => {
        if (this.state === 'up' && this.ctx.now() - this.lastHeardAt > silentMs) {
          this.fail(`${this.endpoint}: no publish response for ${Math.round(silentMs / 1000)} s`, false);
        }
      }, Math.min(5000, silentMs / 3));
      this.watchdog.unref();
    }
    for (const d of this.devices.filter((x) => x.plan.options.mode === 'poll')) {
      d.pollTimer = setInterval(() => void this.poll(d), d.plan.pollMs);
      d.pollTimer.unref();
    }
  }

  /** Resolves every point's node id for this session; `nsu=` forms through the NamespaceArray. */
  private async resolveNodeIds(session: ClientSession): Promise<void> {
    let nsArray: string[] | null = null;
    if (this.devices.some((d) => d.plan.items.some((it) => it.nodeId.startsWith('nsu=')))) {
      const dv = await session.read({ nodeId: 'i=2255', attributeId: AttributeIds.Value });
      nsArray = (dv.value.value as string[]) ?? [];
    }
    for (const d of this.devices) {
      d.unknown.clear();
      d.resolved = d.plan.items.map((it) => {
        const nsu = splitNamespaceUri(it.nodeId);
        if (!nsu) return coerceNodeId(it.nodeId);
        const idx = nsArray!.indexOf(nsu.uri);
        if (idx < 0) {
          d.unknown.add(it.index);
          return NodeId.nullNodeId;
        }
        return coerceNodeId(`ns=${idx};${nsu.rest}`);
      });
    }
  }

  /** One batched Read of every point of `devices`; the first read after a connect also finds unknown nodes. */
  private async readAll(session: ClientSession, devices: DeviceRuntime[], initial: boolean): Promise<void> {
    const nodes: ReadValueIdOptions[] = [];
    const owners: Array<[DeviceRuntime, number]> = [];
    for (const d of devices) {
      d.plan.items.forEach((it) => {
        if (d.unknown.has(it.index) && !initial) return;
        nodes.push({ nodeId: d.resolved[it.index], attributeId: AttributeIds.Value });
        owners.push([d, it.index]);
      });
    }
    const now = this.ctx.now();
    const results: DataValue[] = [];
    for (let i = 0; i < nodes.length; i += ITEMS_PER_REQUEST) results.push(...(await session.read(nodes.slice(i, i + ITEMS_PER_REQUEST))));
    const byDevice = new Map<DeviceRuntime, Sample[]>();
    results.forEach((dv, k) => {
      const [d, idx] = owners[k];
      const sc = dv.statusCode.value;
      if (initial && (sc === StatusCodes.BadNodeIdUnknown.value || sc === StatusCodes.BadNodeIdInvalid.value || d.resolved[idx] === NodeId.nullNodeId)) {
        if (!d.unknown.has(idx)) d.log.warn({ point: d.plan.items[idx].point, nodeId: d.plan.items[idx].nodeId }, `${d.plan.prefix}point ${d.plan.items[idx].point}: node ${d.plan.items[idx].nodeId} ${dv.statusCode.name}; reported bad, the other points go on`);
        d.unknown.add(idx);
      }
      let list = byDevice.get(d);
      if (!list) byDevice.set(d, (list = []));
      list.push(this.toSample(d, idx, dv, now));
    });
    for (const [d, list] of byDevice) {
      d.polls++;
      this.deliver(d, list, now);
    }
  }

  private toSample(d: DeviceRuntime, idx: number, dv: DataValue, now: number): Sample {
    let q = qualityOf(dv.statusCode.value);
    let value = q === 'bad' ? null : sampleValue(dv.value?.value, dv.value?.dataType === DataType.Int64 || dv.value?.dataType === DataType.UInt64);
    if (value === null) q = 'bad';
    if (q === 'bad') value = null;
    d.setQuality(idx, q);
    const ts = dv.sourceTimestamp?.getTime() ?? dv.serverTimestamp?.getTime() ?? now;
    return { point: d.plan.items[idx].point, ts: ts > 0 ? ts : now, value, quality: q };
  }

  /** Hands a device's samples on (batched per tick) and updates its comm state. */
  private deliver(d: DeviceRuntime, batch: Sample[], now: number): void {
    if (batch.some((s) => s.quality === 'good')) {
      d.lastGoodAt = now;
      if (d.comm !== 'online') this.ctx.status(d, 'online');
    }
    this.pending.push(...batch);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        const out = this.pending;
        this.pending = [];
        if (out.length) this.ctx.emit(out);
      });
    }
  }

  /** A keep-alive with no data: the server is there, so devices with good points are fresh. */
  private keepAlive(): void {
    const now = this.ctx.now();
    for (const d of this.devices) if (d.goodCount > 0) d.lastGoodAt = now;
  }

  // ---- polling -----------------------------------------------------------------------------

  private async poll(d: DeviceRuntime): Promise<void> {
    const session = this.session;
    if (d.polling || !session || this.state !== 'up') return;
    d.polling = true;
    const t0 = this.ctx.now();
    try {
      await withTimeout(this.readAll(session, [d], false), Math.max(d.plan.timeoutMs, 1000), `read ${d.plan.items.length} points`);
      for (const i of d.unknown) this.deliver(d, [{ point: d.plan.items[i].point, ts: t0, value: null, quality: 'bad' }], t0);
    } catch (err) {
      d.errors++;
      const msg = explain(err, this.endpoint, this.opts);
      this.deliver(d, this.allBad(d, t0), t0);
      if (msg !== d.lastError) d.log.warn({ err: msg }, `${d.plan.prefix}read failed: ${msg}`);
      d.lastError = msg;
      if (isConnectionLevel(err, msg) && this.state === 'up') this.fail(msg, false);
    } finally {
      d.polling = false;
    }
  }

  private allBad(d: DeviceRuntime, ts: number): Sample[] {
    return d.plan.items.map((it) => {
      d.setQuality(it.index, 'bad');
      return { point: it.point, ts, value: null, quality: 'bad' as const };
    });
  }

  // ---- failure and teardown ----------------------------------------------------------------

  private fail(message: string, configError: boolean): void {
    if (this.state === 'stopped' || this.state === 'down') return;
    const wasUp = this.state === 'up';
    this.state = 'down';
    this.generation++;
    this.lastError = message;
    const delay = backoffMs(this.attempt++);
    const level = wasUp || this.attempt === 1 || configError ? 'warn' : 'debug';
    this.ctx.logger[level]({ endpoint: this.endpoint, retryInMs: delay, err: message }, `${this.prefix}${message}; reconnecting in ${delay} ms`);
    const now = this.ctx.now();
    for (const d of this.devices) {
      d.lastError = message;
      if (wasUp || d.goodCount > 0) this.deliver(d, this.allBad(d, now), now);
      // never online yet, or a problem that will not go away by itself: say so now;
      // otherwise the comm-loss window decides (no good data for max(3 × pollMs, 60 s))
      if (d.comm === 'unknown' || (configError && d.comm !== 'offline')) this.ctx.status(d, 'offline', message);
    }
    void this.teardown().finally(() => {
      if (this.state !== 'down') return;
      this.retryTimer = setTimeout(() => void this.connect(), delay);
      this.retryTimer.unref();
    });
  }

  private async teardown(): Promise<void> {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    for (const d of this.devices) {
      if (d.pollTimer) clearInterval(d.pollTimer);
      d.pollTimer = null;
    }
    const client = this.client;
    const session = this.session;
    const sub = this.subscription;
    this.client = null;
    this.session = null;
    this.subscription = null;
    if (sub) await withTimeout(sub.terminate(), 2000, 'terminate').catch(() => undefined);
    if (session) await withTimeout(session.close(true), 2000, 'close session').catch(() => undefined);
    if (client) {
      client.removeAllListeners();
      await withTimeout(client.disconnect(), 3000, 'disconnect').catch(() => undefined);
    }
  }
}
