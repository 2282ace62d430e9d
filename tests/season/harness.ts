/**
 * The season check: a network of simulated stations runs through days of a real winter — the
 * normal work of a utility (patrols, pump changeovers, night setback and morning boost, riser
 * refills, short 4G outages, planned stops, floor heating, meter replacements) and labelled
 * faults — in fast simulated time, through the default alarm rules, the alarm runner and the
 * ticket service, all in this process on the simulator's clock. It reports what an alarm
 * system is judged by (DOMAIN §3): every fault detected and how soon, annunciated alarms per
 * 10 minutes per 500 stations outside faults and the worst 10 minutes, false priority 1–2
 * alarms, and tickets opened.
 *
 * What heatwatch is told is what a utility tells it: planned stops are announced (停热计划),
 * crews check in (maintenance mode) for riser work, meter replacements and visits outside
 * attended hours, and the season start runs in commissioning mode.
 */
import pino from 'pino';
import { compileRules, pointsOfStations } from '../../src/alarms/compile.ts';
import { factRules, pointsAlarmsRead } from '../../src/alarms/config.ts';
import { DEFAULT_RULES } from '../../src/alarms/default-rules.ts';
import { AlarmRunner } from '../../src/alarms/runner.ts';
import type { AlarmEvent } from '../../src/alarms/types.ts';
import type { StationSpec } from '../../src/config/resolve.ts';
import type { Sample } from '../../src/model.ts';
import { resolveOperations } from '../../src/modes/config.ts';
import { ModeService } from '../../src/modes/service.ts';
import type { OperatorMode } from '../../src/modes/schedule.ts';
import { ModeStore } from '../../src/modes/store.ts';
import { SqliteStateDb } from '../../src/state/sqlite-db.ts';
import { resolveTicketSettings } from '../../src/tickets/config.ts';
import { TicketService } from '../../src/tickets/service.ts';
import { BASELINE_FAULTS, planFaults, type FaultWindow } from '../../simulators/model/fault-plan.ts';
import { BaselineJob } from '../../src/alarms/baseline/job.ts';
import { historicalContexts, resuming } from '../../src/modes/history.ts';
import { HourlyMeans } from './hourly-history.ts';
import { createNetwork, type StationInfo } from '../../simulators/model.ts';
import { loadTemplate } from '../../simulators/templates.ts';
import { stationId } from '../../simulators/ids.ts';
import { TICKET_STATUSES } from '../../src/tickets/types.ts';

export interface SeasonOptions {
  stations: number;
  days: number;
  seed?: number;
  /** poll period of every station, default 30 s */
  pollMs?: number;
  /** model step, default 5 s */
  stepMs?: number;
  /** first local midnight, default 2026-12-07 00:00 Asia/Shanghai */
  startMs?: number;
  /** each planned fault this many times (default 2) */
  faultCount?: number;
  /** the season start (filling, pressure test, commissioning) in the first days */
  seasonStart?: boolean;
  /** labelled faults start after this many days (default 0) */
  faultsAfterDays?: number;
  /**
   * also a slow leak and a fouling exchanger at a few stations, which only the station's own
   * history reveals (baseline rules, learnt hourly as the service does): planned after day 3.5
   */
  baselineFaults?: boolean;
  /** evaluate only stations s with s % of === index (the model still runs them all): one of several workers */
  shard?: { index: number; of: number };
  /** what the utility configured for a station beyond the defaults (a template variant, a setback schedule) */
  station?: (spec: StationSpec, info: StationInfo) => StationSpec;
}

/** alarm classes that count as detecting a fault */
export const DETECTS: Record<FaultWindow['fault'], readonly string[]> = {
  leak: ['leak'],
  burst: ['flood', 'leak'],
  pump_trip: ['pump_trip'],
  valve_stuck: ['valve_stuck', 'over_temp', 'no_heat'],
  over_temp: ['over_temp', 'valve_stuck'],
  under_supply: ['no_heat'],
  sensor_freeze: ['sensor'],
  power_loss: ['power_loss'],
  comm_loss: ['comm_loss'],
  garbage: ['comm_loss'],
  slow_leak: ['leak'],
  fouling: ['fouling'],
  // an efficiency finding of the analytics ranking, not an alarm
  oversupply: [],
};

/** after a fault is repaired its alarms may take this long to settle (room temperature, rate windows) */
const AFTERMATH_MS = 3 * 3_600_000;
const AREAS = ['南岗区', '道里区', '道外区', '香坊区', '平房区', '松北区', '呼兰区', '阿城区'];

export interface SeasonReport {
  stations: number;
  days: number;
  pollMs: number;
  samples: number;
  faults: Array<{ station: string; fault: string; from: string; detected: boolean; afterS: number | null; alarm: string | null; priority: number | null }>;
  /** annunciated raises at stations and times without a fault */
  falseRaises: number;
  /** … per 10 minutes, scaled to 500 stations */
  falsePer10MinPer500: number;
  /** the most raises outside faults in any 10 minutes (not scaled) */
  peak10Min: number;
  falseP12: Array<{ ts: string; alarm: string; priority: number }>;
  /** the first 50 raises outside faults */
  falseList: Array<{ ts: string; alarm: string; priority: number }>;
  falseByRule: Record<string, number>;
  ticketsOpened: number;
  falseTickets: Array<{ id: number; title: string; priority: string; station: string | null }>;
  operations: Record<string, number>;
  /** 10-minute bin (ms epoch / 600 000) → raises outside faults, for merging shards */
  falseBins: Record<string, number>;
  wallMs: number;
}

const iso = (t: number) => new Date(t).toISOString();

export async function runSeason(o: SeasonOptions): Promise<SeasonReport> {
  const wall0 = performance.now();
  const pollMs = o.pollMs ?? 30_000;
  const stepMs = o.stepMs ?? 5_000;
  const seed = o.seed ?? 17;
  const start = o.startMs ?? Date.parse('2026-12-07T00:00:00+08:00');
  const end = start + o.days * 86_400_000;
  const template = loadTemplate('hs-plc');
  const faultPlan = planFaults({ seed, stations: o.stations, fromMs: start + (o.faultsAfterDays ?? 0) * 86_400_000 + 3_600_000, toMs: end - 4 * 3_600_000, count: o.faultCount ?? 2 });
  if (o.baselineFaults) {
    faultPlan.push(...planFaults({ seed: seed + 1, stations: o.stations, fromMs: start + 3.5 * 86_400_000, toMs: end, faults: BASELINE_FAULTS, count: o.faultCount ?? 2 }));
    faultPlan.sort((a, b) => a.fromMs - b.fromMs || a.station - b.station);
  }
  const net = createNetwork({
    stations: o.stations,
    seed,
    template,
    startMs: start,
    stepMs,
    operations: o.seasonStart ? { seasonStart: { atMs: start } } : true,
    faultPlan,
  });
  const allIds = Array.from({ length: o.stations }, (_, i) => stationId(i, o.stations));
  const mine = (s: number) => !o.shard || s % o.shard.of === o.shard.index;
  const ids = allIds;
  const stations: StationSpec[] = ids.flatMap((id, i) => (mine(i) ? [i] : [])).map((i) => {
    const id = ids[i];
    const info = net.stationInfo(i);
    const spec: StationSpec = {
      id,
      name: id,
      area: AREAS[i % AREAS.length],
      curve: info.curve,
      heatingType: info.heatingType,
      // as the simulator's generated config: the loop is filled 0.05 MPa above the building's static head
      staticHeadMPa: info.staticHead.map((h) => Math.round((h - 0.05) * 1000) / 1000),
      devices: [{ id: 'plc', protocol: 'modbus', pollMs, points: template.points } as unknown as StationSpec['devices'][number]],
    };
    return o.station ? o.station(spec, info) : spec;
  });

  // what the utility tells heatwatch
  const ops = net.operations(start - 86_400_000, end).filter((op) => mine(op.station));
  const opCount: Record<string, number> = {};
  for (const op of ops) opCount[op.kind] = (opCount[op.kind] ?? 0) + 1;
  const plannedStops = ops
    .filter((op) => op.kind === 'planned_stop')
    .map((op) => ({ stations: [ids[op.station]], from: op.fromMs, to: op.toMs, reason: 'planned stop' }));
  const known = { stations: new Set(stations.map((s) => s.id)), areas: new Set(AREAS) };
  const { settings, problems } = resolveOperations({ attendedHours: { from: '08:00', to: '18:00' }, plannedStops }, known);
  if (problems.length) throw new Error(`season check: ${JSON.stringify(problems)}`);
  const checkIns: OperatorMode[] = [];
  const checkIn = (s: number, mode: OperatorMode['mode'], from: number, until: number) =>
    checkIns.push({ station: ids[s], mode, comment: 'crew check-in', user: 'crew', from, until, setAt: from });
  const attended = (t: number) => {
    const h = (((t + 8 * 3_600_000) % 86_400_000) + 86_400_000) % 86_400_000 / 3_600_000;
    return h >= 8 && h < 18;
  };
  // the season start runs in commissioning until a day after heat-up: rooms that stood cold for
  // weeks take that long to reach 18 °C, and that is the start of the season, not a fault
  const lastPhase = new Map<number, number>();
  for (const op of ops) if (op.kind === 'season_start') lastPhase.set(op.station, Math.max(lastPhase.get(op.station) ?? 0, op.toMs));
  for (const [s, to] of lastPhase) checkIn(s, 'commissioning', start - 86_400_000, to + 86_400_000);
  for (const op of ops) {
    if (op.kind === 'refill' || op.kind === 'meter_replace') checkIn(op.station, 'maintenance', op.fromMs, op.toMs + 60_000);
    if (op.kind === 'patrol' && !(attended(op.fromMs) && attended(op.toMs - 1))) checkIn(op.station, 'maintenance', op.fromMs, op.toMs + 60_000);
  }
  checkIns.sort((a, b) => a.from - b.from);

  let now = start;
  const clock = () => now;
  const stateDb = new SqliteStateDb(':memory:');
  const db = stateDb.raw;
  const log = pino({ level: 'silent' });
  const store = await ModeStore.open(stateDb, () => undefined);
  const modes = await ModeService.open({ settings, stations: stations.map((s) => ({ id: s.id, area: s.area ?? null })), timeZone: 'Asia/Shanghai', store, now: clock });
  const all = compileRules([], pointsOfStations(stations), { defaults: [...DEFAULT_RULES, ...factRules(stations)] });
  if (all.errors.length) throw new Error(`season check: rule errors ${JSON.stringify(all.errors.slice(0, 3))}`);
  const compiled = { ...all, points: pointsAlarmsRead(all) };
  const runner = await AlarmRunner.open({ compiled, db: stateDb, logger: log, now: clock, contexts: (list, at) => modes.contextCodes(list, at), areaOf: (s) => stations.find((x) => x.id === s)?.area ?? null, timeZone: 'Asia/Shanghai' });
  const tickets = new TicketService({ db: stateDb, settings: resolveTicketSettings(undefined), stations, source: runner, now: clock, logger: log });
  await tickets.init();
  const ticketWork: Array<Promise<unknown>> = [];
  const events: AlarmEvent[] = [];
  // baselines learnt from the stations' history every hour, as the service does
  const baselineAlarms = compiled.alarms.filter((c) => c.params.type === 'baseline' && (!o.shard || stations.some((s) => s.id === c.station)));
  const historyPoints = [...new Set(baselineAlarms.flatMap((c) => (c.params.type === 'baseline' ? [c.point, c.params.minus, c.params.load] : [])))].filter((x): x is string => !!x);
  const history = new HourlyMeans(historyPoints, start, o.days * 24);
  const pastModes = new Map<string, OperatorMode[]>();
  for (const m of [...checkIns].sort((a, b) => a.setAt - b.setAt)) {
    const list = pastModes.get(m.station) ?? [];
    list.push(resuming(list, m));
    pastModes.set(m.station, list);
  }
  const past = historicalContexts(settings, stations.map((s) => ({ id: s.id, area: s.area ?? null })), 'Asia/Shanghai', pastModes, []);
  const baselines = new BaselineJob({ alarms: runner.engine.alarms, apply: (u) => runner.baselines(u), history, contexts: past.contexts, learnPerRun: 100_000 });
  const historyReaders = historyPoints.map((id) => {
    const [station, , point] = id.split('.');
    return { id, s: ids.indexOf(station), read: net.reader(point) };
  });
  runner.onEvents((evs) => {
    for (const e of evs) events.push(e);
    ticketWork.push(tickets.handleAlarmEvents(evs));
  });

  // only the points some alarm reads; the rest feed trends, not this check
  const read = template.points.map((p) => p.id).filter((p) => compiled.points.some((q) => q.point === p));
  const readers = read.map((p) => net.reader(p));
  const pointIds = ids.map((id) => read.map((p) => `${id}.plc.${p}`));
  const fed = ids.map((_, s) => s).filter(mine);
  let samples = 0;
  let ci = 0;
  // one sample object per point, rewritten every poll: the engine copies what it keeps, and
  // 150 M fresh objects a week would be most of the check's garbage
  const pool: Sample[][] = pointIds.map((pid) => pid.map((point) => ({ point, ts: 0, value: null, quality: 'good' as const })));
  const batch: Sample[] = [];
  for (now = start; now < end; now += pollMs) {
    while (ci < checkIns.length && checkIns[ci].from <= now) {
      const m = checkIns[ci++];
      if (m.until !== null && m.until <= now) continue;
      await modes.setMode([m.station], { mode: m.mode, comment: m.comment, from: Math.max(m.from, now), until: m.until }, { name: m.user, role: 'operator' });
    }
    net.advance(now);
    batch.length = 0;
    for (const s of fed) {
      if (net.isOffline(s)) continue;
      const own = pool[s];
      for (let k = 0; k < readers.length; k++) {
        const x = own[k];
        x.ts = now;
        x.value = readers[k](s);
        batch.push(x);
      }
    }
    samples += batch.length;
    for (const h of historyReaders) if (!net.isOffline(h.s)) history.add(h.id, now, h.read(h.s));
    runner.samples(batch);
    if (baselines.size && now % 3_600_000 === 0 && now > start) await baselines.run(now);
    runner.tick();
    // applied at the poll that raised them, as the service's queue does within moments
    if (ticketWork.length) await Promise.all(ticketWork.splice(0));
    if ((now - start) % 60_000 === 0) await tickets.tick(now);
  }

  // ---- judge ----
  const faultAt = (station: string, t: number) =>
    faultPlan.some((f) => ids[f.station] === station && t >= f.fromMs && t < f.toMs + AFTERMATH_MS);
  const raises = events.filter((e) => e.type === 'raise' || (e.type === 'unsuppress' && e.to === 'unacked') || (e.type === 'unshelve' && e.to === 'unacked'));
  const falseRaises = raises.filter((e) => !faultAt(e.station, e.ts));
  const bins = new Map<number, number>();
  for (const e of falseRaises) bins.set(Math.floor(e.ts / 600_000), (bins.get(Math.floor(e.ts / 600_000)) ?? 0) + 1);
  const falseByRule: Record<string, number> = {};
  for (const e of falseRaises) falseByRule[e.ruleId] = (falseByRule[e.ruleId] ?? 0) + 1;
  const faults = faultPlan.filter((f) => mine(f.station)).map((f) => {
    const station = ids[f.station];
    const hit = raises.find((e) => e.station === station && e.ts >= f.fromMs && e.ts < f.toMs + AFTERMATH_MS && DETECTS[f.fault].includes(e.class ?? ''));
    return {
      station,
      fault: f.fault,
      from: iso(f.fromMs),
      detected: hit !== undefined,
      afterS: hit ? Math.round((hit.ts - f.fromMs) / 1000) : null,
      alarm: hit ? hit.alarmId : null,
      priority: hit ? hit.priority : null,
    };
  });
  const opened = await tickets.list({ statuses: TICKET_STATUSES, limit: 100_000 });
  const falseTickets = opened
    .filter((t) => t.source === 'alarm' && !(t.station && faultAt(t.station, t.createdAt)))
    .map((t) => ({ id: t.id, title: t.title, priority: t.priority, station: t.station }));
  const periods = (o.days * 86_400_000) / 600_000;
  return {
    stations: o.stations,
    days: o.days,
    pollMs,
    samples,
    faults,
    falseRaises: falseRaises.length,
    falsePer10MinPer500: (falseRaises.length / periods) * (500 / o.stations),
    peak10Min: Math.max(0, ...bins.values()),
    falseP12: falseRaises.filter((e) => e.priority <= 2).map((e) => ({ ts: iso(e.ts), alarm: e.alarmId, priority: e.priority })),
    falseByRule,
    falseList: falseRaises.slice(0, 50).map((e) => ({ ts: iso(e.ts), alarm: e.alarmId, priority: e.priority })),
    ticketsOpened: opened.filter((t) => t.source === 'alarm').length,
    falseTickets,
    operations: opCount,
    falseBins: Object.fromEntries(bins),
    wallMs: Math.round(performance.now() - wall0),
  };
}

/** One report from the reports of the shards of one run (`shard.of` workers). */
export function mergeReports(parts: SeasonReport[]): SeasonReport {
  const [first] = parts;
  const bins: Record<string, number> = {};
  for (const p of parts) for (const [k, v] of Object.entries(p.falseBins)) bins[k] = (bins[k] ?? 0) + v;
  const sum = (f: (p: SeasonReport) => number) => parts.reduce((n, p) => n + f(p), 0);
  const byRule: Record<string, number> = {};
  const ops: Record<string, number> = {};
  for (const p of parts) {
    for (const [k, v] of Object.entries(p.falseByRule)) byRule[k] = (byRule[k] ?? 0) + v;
    for (const [k, v] of Object.entries(p.operations)) ops[k] = (ops[k] ?? 0) + v;
  }
  const falseRaises = sum((p) => p.falseRaises);
  return {
    stations: first.stations,
    days: first.days,
    pollMs: first.pollMs,
    samples: sum((p) => p.samples),
    faults: parts.flatMap((p) => p.faults).sort((a, b) => a.from.localeCompare(b.from)),
    falseRaises,
    falsePer10MinPer500: (falseRaises / ((first.days * 86_400_000) / 600_000)) * (500 / first.stations),
    peak10Min: Math.max(0, ...Object.values(bins)),
    falseP12: parts.flatMap((p) => p.falseP12),
    falseList: parts.flatMap((p) => p.falseList).slice(0, 50),
    falseByRule: byRule,
    ticketsOpened: sum((p) => p.ticketsOpened),
    falseTickets: parts.flatMap((p) => p.falseTickets),
    operations: ops,
    falseBins: bins,
    wallMs: Math.max(...parts.map((p) => p.wallMs)),
  };
}
