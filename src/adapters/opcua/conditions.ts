/**
 * Device-side alarms (OPC UA Part 9, Alarms & Conditions) as heatwatch sees them.
 *
 * The adapter subscribes to events on the Server object (i=2253) with the select clauses in
 * {@link EVENT_FIELDS}, calls ConditionRefresh after every (re)connect, and turns each
 * condition event into a {@link DeviceAlarmEvent}. The alarm runner consumes these next to
 * its own rule events; acknowledging one in heatwatch calls the server's Acknowledge with
 * the latest EventId ({@link OpcuaAdapter.acknowledge}).
 *
 * Severity bands (Part 9): 801–1000 high, 601–800 medium-high, 401–600 medium,
 * 201–400 medium-low, 1–200 low; {@link severityToPriority} maps them onto heatwatch's 1..4.
 */

/** One state of one device condition, as the server reported it. */
export interface DeviceAlarmEvent {
  source: 'device';
  station: string;
  device: string;
  /** NodeId of the condition, e.g. `ns=1;s=hs-001.alarm.pump1_trip` */
  conditionId: string;
  /** the condition's SourceName (usually the browse name of the monitored variable, `1:pump1_fault`) */
  sourceName: string;
  /** NodeId of the monitored variable (SourceNode), when the server sends one */
  sourceNode?: string;
  /** ConditionName when the server sends one */
  conditionName?: string;
  /** EventId of this event, hex; the one to acknowledge with */
  eventId: string;
  active: boolean;
  acked: boolean;
  /** 1..1000 */
  severity: number;
  message: string;
  /** ms epoch: the event's Time */
  ts: number;
  /** Retain: false once the condition is no longer of interest (inactive and acknowledged) */
  retain: boolean;
}

/** Select clauses of the event filter, in this order (ConditionId is special-cased by node-opcua). */
export const EVENT_FIELDS = [
  'EventId',
  'ConditionId',
  'EventType',
  'SourceName',
  'SourceNode',
  'ConditionName',
  'Message',
  'Severity',
  'Time',
  'ActiveState.Id',
  'AckedState.Id',
  'Retain',
] as const;

/** The raw values of one event, by field name (Variant values already unpacked). */
export type EventFields = Partial<Record<(typeof EVENT_FIELDS)[number], unknown>>;

function text(v: unknown): string {
  if (v == null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && 'text' in (v as object)) return String((v as { text?: unknown }).text ?? '');
  return String(v);
}

/**
 * A condition event → DeviceAlarmEvent; null for events that are not conditions (no
 * ConditionId: RefreshStart/RefreshEnd, plain events).
 */
export function toDeviceAlarmEvent(f: EventFields, station: string, device: string): DeviceAlarmEvent | null {
  const cid = f.ConditionId;
  if (cid == null) return null;
  const conditionId = String(cid);
  if (conditionId === '' || conditionId === 'ns=0;i=0') return null;
  const eventId = Buffer.isBuffer(f.EventId) ? f.EventId.toString('hex') : '';
  const t = f.Time instanceof Date ? f.Time.getTime() : Date.now();
  const sev = Number(f.Severity);
  return {
    source: 'device',
    station,
    device,
    conditionId,
    sourceName: text(f.SourceName),
    ...(f.SourceNode != null && String(f.SourceNode) !== 'ns=0;i=0' ? { sourceNode: String(f.SourceNode) } : {}),
    ...(f.ConditionName != null && text(f.ConditionName) !== '' ? { conditionName: text(f.ConditionName) } : {}),
    eventId,
    active: f['ActiveState.Id'] === true,
    acked: f['AckedState.Id'] === true,
    severity: Number.isFinite(sev) ? Math.min(1000, Math.max(1, Math.round(sev))) : 1,
    message: text(f.Message),
    ts: t,
    retain: f.Retain !== false,
  };
}

/** Part 9 severity → heatwatch priority: 801+ → 1, 601+ → 2, 401+ → 3, else 4. */
export function severityToPriority(severity: number): 1 | 2 | 3 | 4 {
  return severity > 800 ? 1 : severity > 600 ? 2 : severity > 400 ? 3 : 4;
}
