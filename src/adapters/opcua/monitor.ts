/**
 * The monitored items of a connection's subscription: one item group per subscribing device
 * (values), and one event item on the Server object for devices whose alarms are imported.
 */
import {
  AttributeIds,
  callConditionRefresh,
  ClientMonitoredItem,
  ClientMonitoredItemGroup,
  constructEventFilter,
  DataChangeFilter,
  DataChangeTrigger,
  DeadbandType,
  NodeId,
  TimestampsToReturn,
  type ClientSession,
  type ClientSubscription,
  type DataValue,
  type Variant,
} from 'node-opcua-client';
import { EVENT_FIELDS, toDeviceAlarmEvent, type DeviceAlarmEvent, type EventFields } from './conditions.ts';
import type { DeviceRuntime } from './device.ts';
import { ITEMS_PER_REQUEST, qualityOf } from './plan.ts';

/**
 * Monitors every known point of `d` at its poll period; `changed` gets the point index and its
 * new value. A point the server refuses to monitor is logged and marked unknown.
 */
export async function monitorValues(sub: ClientSubscription, d: DeviceRuntime, changed: (index: number, dv: DataValue) => void): Promise<void> {
  const idx = d.plan.items.filter((it) => !d.unknown.has(it.index)).map((it) => it.index);
  if (!idx.length) return;
  const db = d.plan.options.deadband;
  const trigger = d.plan.options.trigger === 'StatusValueTimestamp' ? DataChangeTrigger.StatusValueTimestamp : DataChangeTrigger.StatusValue;
  const filter =
    db || trigger !== DataChangeTrigger.StatusValue
      ? new DataChangeFilter({
          trigger,
          deadbandType: !db ? DeadbandType.None : db.type === 'absolute' ? DeadbandType.Absolute : DeadbandType.Percent,
          deadbandValue: db?.value ?? 0,
        })
      : null;
  for (let start = 0; start < idx.length; start += ITEMS_PER_REQUEST) {
    const part = idx.slice(start, start + ITEMS_PER_REQUEST);
    const group = ClientMonitoredItemGroup.create(
      sub,
      part.map((i) => ({ nodeId: d.resolved[i], attributeId: AttributeIds.Value })),
      { samplingInterval: d.plan.pollMs, queueSize: 1, discardOldest: true, ...(filter ? { filter } : {}) },
      TimestampsToReturn.Both,
    );
    group.on('changed', (_item, dv, k) => {
      d.notifications++;
      changed(part[k], dv);
    });
    await new Promise<void>((resolve) => group.once('initialized', () => resolve()));
    group.monitoredItems.forEach((mi, k) => {
      const sc = (mi as unknown as { statusCode?: { value: number; name: string } }).statusCode;
      if (sc && qualityOf(sc.value) === 'bad') {
        const it = d.plan.items[part[k]];
        d.log.warn({ point: it.point, nodeId: it.nodeId }, `${d.plan.prefix}point ${it.point}: cannot monitor ${it.nodeId}: ${sc.name}`);
        d.unknown.add(part[k]);
      }
    });
  }
}

/**
 * Subscribes to the server's condition events and routes each to the device that owns its
 * SourceNode (or to the only device, when one device imports alarms), then asks the server
 * for the conditions already active (ConditionRefresh).
 */
export async function monitorEvents(
  session: ClientSession,
  sub: ClientSubscription,
  devices: DeviceRuntime[],
  onDeviceAlarm: ((ev: DeviceAlarmEvent) => void) | undefined,
): Promise<void> {
  const routes = new Map<string, DeviceRuntime>();
  for (const d of devices) for (const n of d.resolved) routes.set(n.toString(), d);
  const only = devices.length === 1 ? devices[0] : null;
  const item = ClientMonitoredItem.create(
    sub,
    { nodeId: 'i=2253', attributeId: AttributeIds.EventNotifier },
    { samplingInterval: 0, queueSize: 10_000, discardOldest: false, filter: constructEventFilter([...EVENT_FIELDS]) },
    TimestampsToReturn.Neither,
  );
  item.on('changed', (fields: Variant[] | unknown) => {
    if (!Array.isArray(fields)) return;
    const f: EventFields = {};
    EVENT_FIELDS.forEach((name, i) => {
      const v = (fields[i] as Variant | undefined)?.value;
      f[name] = v instanceof NodeId ? v.toString() : v;
    });
    const d = (f.SourceNode != null ? routes.get(String(f.SourceNode)) : undefined) ?? only;
    if (!d) return;
    const ev = toDeviceAlarmEvent(f, d.plan.station, d.plan.device);
    if (!ev) return;
    if (Buffer.isBuffer(f.EventId)) d.eventIds.set(ev.conditionId, f.EventId);
    try {
      onDeviceAlarm?.(ev);
    } catch (err) {
      d.log.error({ err }, `${d.plan.prefix}device alarm handler failed`);
    }
  });
  await new Promise<void>((resolve) => item.once('initialized', () => resolve()));
  await callConditionRefresh(session, sub.subscriptionId);
}
