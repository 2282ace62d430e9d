/**
 * EEMUA 191 / ISA-18.2 performance figures from alarm events (DOMAIN §3).
 * Pure: give it the events and the window.
 *
 * @example
 * ```ts
 * const k = alarmKpis(events, { from: t0, to: t0 + 86_400_000 });
 * k.avgPer10Min; // target ≈ 1, ≤ 2 manageable
 * ```
 */
import type { AlarmEvent, Priority } from './types.ts';

export type KpiEvent = Pick<AlarmEvent, 'alarmId' | 'ts' | 'type' | 'priority'> & Partial<Pick<AlarmEvent, 'to'>>;

export interface AlarmKpis {
  raises: number;
  avgPer10Min: number;
  peak10Min: number;
  /** % of the window in flood (> 10 in 10 min; ends below 5) */
  floodPercent: number;
  /** alarm ids with ≥ 3 activations within 60 s */
  chattering: string[];
  /** alarm ids active for more than 24 h at the window end */
  stale: string[];
  /** share (0..1) of raises from the 10 most frequent alarms */
  top10Share: number;
  top10: Array<{ alarmId: string; count: number }>;
  /** raises per priority and share of all raises */
  priorities: Record<Priority, { count: number; share: number }>;
}

const TEN_MIN = 600_000;
const FLOOD_START = 10;
const FLOOD_END = 5;
const CHATTER_N = 3;
const CHATTER_MS = 60_000;
const STALE_MS = 86_400_000;

/** Time (ms) within [from, to) during which the trailing 10-minute count was in flood. */
function floodTime(ts: readonly number[], from: number, to: number): number {
  const edges: Array<[number, number]> = [];
  for (const t of ts) edges.push([t, 1], [t + TEN_MIN, -1]);
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let count = 0;
  let flood = false;
  let since = 0;
  let total = 0;
  for (let i = 0; i < edges.length; ) {
    const t = edges[i][0];
    while (i < edges.length && edges[i][0] === t) count += edges[i++][1];
    if (!flood && count > FLOOD_START) {
      flood = true;
      since = t;
    } else if (flood && count < FLOOD_END) {
      flood = false;
      total += Math.max(0, Math.min(t, to) - Math.max(since, from));
    }
  }
  if (flood) total += Math.max(0, to - Math.max(since, from));
  return total;
}

export function alarmKpis(events: readonly KpiEvent[], window: { from: number; to: number }): AlarmKpis {
  const { from, to } = window;
  const sorted = [...events].sort((a, b) => a.ts - b.ts);
  const raises = sorted.filter((e) => e.type === 'raise' && e.ts >= from && e.ts < to);
  const ts = raises.map((e) => e.ts);

  let peak = 0;
  for (let i = 0, j = 0; i < ts.length; i++) {
    while (ts[i] - ts[j] >= TEN_MIN) j++;
    peak = Math.max(peak, i - j + 1);
  }

  const byAlarm = new Map<string, number[]>();
  for (const e of raises) {
    const l = byAlarm.get(e.alarmId);
    if (l) l.push(e.ts);
    else byAlarm.set(e.alarmId, [e.ts]);
  }
  const chattering: string[] = [];
  for (const [id, l] of byAlarm) {
    for (let i = CHATTER_N - 1; i < l.length; i++) {
      if (l[i] - l[i - CHATTER_N + 1] <= CHATTER_MS) {
        chattering.push(id);
        break;
      }
    }
  }

  const activeSince = new Map<string, number>();
  for (const e of sorted) {
    if (e.ts >= to) break;
    const active = e.to !== undefined ? e.to === 'unacked' || e.to === 'acked' : e.type === 'raise' ? true : e.type === 'clear' ? false : null;
    if (active === null) continue;
    if (active && !activeSince.has(e.alarmId)) activeSince.set(e.alarmId, e.ts);
    if (!active) activeSince.delete(e.alarmId);
  }
  const stale = [...activeSince].filter(([, t]) => to - t > STALE_MS).map(([id]) => id);

  const counts = [...byAlarm].map(([alarmId, l]) => ({ alarmId, count: l.length }));
  counts.sort((a, b) => b.count - a.count || a.alarmId.localeCompare(b.alarmId));
  const top10 = counts.slice(0, 10);
  const n = raises.length;
  const priorities = {} as AlarmKpis['priorities'];
  for (const p of [1, 2, 3, 4] as const) {
    const count = raises.filter((e) => e.priority === p).length;
    priorities[p] = { count, share: n ? count / n : 0 };
  }
  const span = Math.max(1, to - from);
  return {
    raises: n,
    avgPer10Min: (n * TEN_MIN) / span,
    peak10Min: peak,
    floodPercent: (100 * floodTime(ts, from, to)) / span,
    chattering,
    stale,
    top10Share: n ? top10.reduce((s, c) => s + c.count, 0) / n : 0,
    top10,
    priorities,
  };
}
