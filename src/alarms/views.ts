/**
 * What the operator sees of the alarms: one view shape for rule and external alarms, the
 * filtered lists (annunciated, suppressed, shelved, out of service), counts per view, and the
 * worst priority per station. Reads the runner's records; changes nothing.
 */
import type { AlarmIndex, Engine } from './engine.ts';
import type { ExternalAlarm } from './external.ts';
import { CHATTER_WINDOW_MS } from './meta.ts';
import type { AlarmMeta } from './persist.ts';
import { alarmMessage, type MessageLang } from './messages.ts';
import type { AlarmStateName, EngineState, Priority } from './types.ts';

export interface AlarmView {
  id: string;
  source: 'rule' | 'external' | 'device';
  ruleId: string | null;
  type: string;
  station: string;
  device: string;
  point: string;
  class: string | null;
  priority: Priority;
  /** in the requested language (zh-CN by default over the API) */
  message: string;
  /** the message in each language of the catalogue (messages.ts), for pages that switch language */
  messages: Record<MessageLang, string>;
  state: AlarmStateName;
  /** the condition holds now */
  active: boolean;
  value: number | boolean | null;
  raisedAt: number | null;
  lastChange: number | null;
  ackedBy: string | null;
  ackedAt: number | null;
  comment: string | null;
  shelvedUntil: number | null;
  shelvedBy: string | null;
  /** when out of service ends (it returns by itself then) */
  outOfServiceUntil: number | null;
  /** ≥ 3 activations within 60 s */
  chattering: boolean;
  /** first-out grouping: the alarm this one follows from, while it does */
  parent: string | null;
  /** why a suppressed alarm is suppressed: `parent`, `mode`, `comm_loss`, `expression` */
  suppressedBy: Array<'parent' | 'mode' | 'comm_loss' | 'expression'> | null;
}

/**
 * `active` (the default) = annunciated: unacked, acked, rtn_unacked — the operator's list and
 * banner. `all` = every instance; `not_normal` = every state but normal; or one state name.
 */
export type StateFilter = 'active' | 'all' | 'not_normal' | AlarmStateName;

export interface AlarmFilter {
  state?: StateFilter;
  /** language of `message`; default the rule's own text */
  lang?: MessageLang;
  station?: string;
  area?: string;
  class?: string;
  priority?: number;
  limit?: number;
}

export const ANNUNCIATED: ReadonlySet<AlarmStateName> = new Set(['unacked', 'acked', 'rtn_unacked']);
const CHATTER_COUNT = 3;

/** The runner's records the views read. */
export interface ViewSource {
  readonly engine: Engine;
  readonly meta: Map<string, AlarmMeta>;
  readonly externals: Map<string, ExternalAlarm>;
  readonly index: AlarmIndex;
  current(): EngineState;
  now(): number;
  areaOf(station: string): string | null;
}

export function recentRaises(m: AlarmMeta | undefined, now: number): number {
  return m?.raises.filter((t) => now - t <= CHATTER_WINDOW_MS).length ?? 0;
}

function withMeta(
  base: Omit<AlarmView, 'raisedAt' | 'lastChange' | 'ackedBy' | 'ackedAt' | 'comment' | 'chattering'>,
  m: AlarmMeta | undefined,
  now: number,
): AlarmView {
  return {
    ...base,
    raisedAt: m?.raisedAt ?? null,
    lastChange: m?.lastChange ?? null,
    ackedBy: m?.ackedBy ?? null,
    ackedAt: m?.ackedAt ?? null,
    comment: m?.comment ?? null,
    chattering: base.source === 'rule' && recentRaises(m, now) >= CHATTER_COUNT,
  };
}

function ruleView(src: ViewSource, i: number, lang?: MessageLang): AlarmView {
  const c = src.engine.alarms.at(i);
  const s = src.current();
  const a = s.alarms.record(i);
  const m = src.meta.get(c.alarmId);
  let parent: string | null = null;
  if (a.supParent) {
    for (const pid of c.parents ?? []) {
      const pi = src.index.get(pid);
      if (pi !== undefined && s.alarms.holds(pi)) {
        parent = pid;
        break;
      }
    }
  }
  const why: NonNullable<AlarmView['suppressedBy']> = [];
  if (a.supParent) why.push('parent');
  if (a.supMode) why.push('mode');
  if (a.supComm) why.push('comm_loss');
  if (a.supExpr) why.push('expression');
  return withMeta(
    {
      id: c.alarmId,
      source: 'rule',
      ruleId: c.ruleId,
      type: c.type,
      station: c.station,
      device: c.device,
      point: c.point,
      class: c.class,
      priority: c.priority,
      message: lang ? alarmMessage(c, lang) : c.message,
      messages: { 'zh-CN': alarmMessage(c, 'zh-CN'), en: alarmMessage(c, 'en') },
      state: a.st,
      active: a.cond,
      value: m?.value ?? null,
      shelvedUntil: a.shelvedUntil,
      shelvedBy: a.shelvedBy,
      outOfServiceUntil: a.oos ? (a.oosUntil ?? null) : null,
      parent,
      suppressedBy: why.length ? why : null,
    },
    m,
    src.now(),
  );
}

function externalView(src: ViewSource, x: ExternalAlarm): AlarmView {
  return withMeta(
    {
      id: x.id,
      source: x.source,
      ruleId: null,
      type: x.source,
      station: x.station,
      device: x.device,
      point: x.point,
      class: x.class,
      priority: x.priority,
      message: x.message,
      messages: { 'zh-CN': x.message, en: x.message },
      state: x.st,
      active: x.active,
      value: x.value,
      shelvedUntil: null,
      shelvedBy: null,
      outOfServiceUntil: null,
      parent: x.parent ? firstOut(src, x.parent) : null,
      suppressedBy: x.parent ? ['parent'] : null,
    },
    src.meta.get(x.id),
    src.now(),
  );
}

/** The alarm a group is annunciated under: climbs the parents of a rule alarm while they hold. */
function firstOut(src: ViewSource, id: string): string {
  let top = id;
  for (let hop = 0; hop < 8; hop++) {
    const i = src.index.get(top);
    if (i === undefined) break;
    const p = ruleView(src, i).parent;
    if (!p) break;
    top = p;
  }
  return top;
}

export function alarmView(src: ViewSource, id: string, lang?: MessageLang): AlarmView | undefined {
  const x = src.externals.get(id);
  if (x) return externalView(src, x);
  const i = src.index.get(id);
  return i === undefined ? undefined : ruleView(src, i, lang);
}

function stateMatches(want: StateFilter, st: AlarmStateName): boolean {
  if (want === 'all') return true;
  if (want === 'active') return ANNUNCIATED.has(st);
  if (want === 'not_normal') return st !== 'normal';
  return st === want;
}

/** Alarms by priority (1 first), then newest change first. */
export function listAlarms(src: ViewSource, f: AlarmFilter = {}): AlarmView[] {
  const want = f.state ?? 'active';
  const match = (st: AlarmStateName, station: string, priority: number, cls: string | null) =>
    stateMatches(want, st) &&
    (f.station === undefined || station === f.station) &&
    (f.priority === undefined || priority === f.priority) &&
    (f.class === undefined || cls === f.class) &&
    (f.area === undefined || src.areaOf(station) === f.area);
  const out: AlarmView[] = [];
  const s = src.current();
  const A = src.engine.alarms;
  for (let i = 0; i < A.length; i++) {
    const t = A.rule(i);
    if (match(s.alarms.state(i), A.station(i), t.priority, t.class)) out.push(ruleView(src, i, f.lang));
  }
  for (const x of src.externals.values()) if (match(x.st, x.station, x.priority, x.class)) out.push(externalView(src, x));
  out.sort((a, b) => a.priority - b.priority || (b.lastChange ?? 0) - (a.lastChange ?? 0) || a.id.localeCompare(b.id));
  return f.limit ? out.slice(0, f.limit) : out;
}

/** The worst (lowest number) priority among annunciated alarms, per station. */
export function worstByStation(src: ViewSource): Map<string, Priority> {
  const out = new Map<string, Priority>();
  const put = (station: string, p: Priority) => {
    const cur = out.get(station);
    if (cur === undefined || p < cur) out.set(station, p);
  };
  const s = src.current();
  const A = src.engine.alarms;
  for (let i = 0; i < A.length; i++) if (ANNUNCIATED.has(s.alarms.state(i))) put(A.station(i), A.rule(i).priority);
  for (const x of src.externals.values()) if (ANNUNCIATED.has(x.st)) put(x.station, x.priority);
  return out;
}

export interface AlarmCounts {
  instances: number;
  /** every state but normal */
  active: number;
  /** unacked + rtn_unacked */
  unacked: number;
  annunciated: number;
  suppressed: number;
  shelved: number;
  out_of_service: number;
}

export function alarmCounts(src: ViewSource): AlarmCounts {
  const c: AlarmCounts = { instances: 0, active: 0, unacked: 0, annunciated: 0, suppressed: 0, shelved: 0, out_of_service: 0 };
  const add = (st: AlarmStateName) => {
    c.instances++;
    if (st === 'normal') return;
    c.active++;
    if (st === 'unacked' || st === 'rtn_unacked') c.unacked++;
    if (ANNUNCIATED.has(st)) c.annunciated++;
    else c[st as 'suppressed' | 'shelved' | 'out_of_service']++;
  };
  const A = src.current().alarms;
  for (let i = 0; i < A.length; i++) add(A.state(i));
  for (const x of src.externals.values()) add(x.st);
  return c;
}
