/**
 * The runner's reads of the alarm events in the state database: history and the EEMUA 191
 * figures. Both wait for this instance's queued writes first, so what was just raised is read back.
 */
import { alarmKpis, type AlarmKpis } from './kpis.ts';
import { alarmMessage, type MessageLang } from './messages.ts';
import type { AlarmRunner } from './runner.ts';
import type { AlarmEvent } from './types.ts';

export interface HistoryQuery {
  from: number;
  to: number;
  station?: string;
  alarmId?: string;
  limit?: number;
  lang?: MessageLang;
}

export type WindowKpis = AlarmKpis & { from: number; to: number };

/** Alarm events, newest first; with `lang`, rule alarms' messages in that language (messages.ts). */
export async function readHistory(r: AlarmRunner, q: HistoryQuery): Promise<AlarmEvent[]> {
  await r.written();
  const events = await r.store().history({ ...q, limit: q.limit ?? 1000 });
  if (!q.lang) return events;
  for (const e of events) {
    const i = r.index.get(e.alarmId);
    if (i !== undefined) e.message = alarmMessage(r.engine.alarms.rule(i), q.lang);
  }
  return events;
}

/**
 * EEMUA 191 figures over [from, to); activity up to 30 days before `from` is read so stale alarms
 * are seen. With `maxEvents`, null when the window holds more events than that (never loaded).
 */
export async function readKpis(r: AlarmRunner, from: number, to: number, maxEvents?: number): Promise<WindowKpis | null> {
  const start = Math.min(from, to - 30 * 86_400_000);
  const store = r.store();
  await r.written();
  if (maxEvents !== undefined && (await store.countUpTo(start, to, maxEvents + 1)) > maxEvents) return null;
  const events = await store.events(start, to);
  return { from, to, ...alarmKpis(events, { from, to }) };
}
