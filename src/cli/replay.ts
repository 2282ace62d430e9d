import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import Type from 'typebox';
import Value from 'typebox/value';
import { parse } from 'yaml';
import { compileAlarmRules } from '../alarms/config.ts';
import { replayAlarms, type ReplayRaise, type ReplaySummary } from '../alarms/replay.ts';
import { historicalContexts, operatorModeHistory, storedStops, type PeriodContexts } from '../modes/history.ts';
import { AlarmRule } from '../alarms/rule-schema.ts';
import type { AlarmRuleConfig } from '../alarms/rule-schema.ts';
import { parseTime } from '../api/query/time.ts';
import { ConfigError, jsonPointerToPath, loadConfig } from '../config/load.ts';
import { createSeriesStore } from '../store/create.ts';
import { openStateDb } from '../state/open.ts';

const RulesFile = Type.Union([Type.Array(AlarmRule), Type.Object({ alarms: Type.Array(AlarmRule) }, { additionalProperties: false })]);

/** Rules from a YAML file: a list of rules, or `{ alarms: [...] }`. Problems are reported by path. */
function loadRules(file: string): AlarmRuleConfig[] {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: (err as Error).message.split('\n')[0] }]);
  }
  const list = Array.isArray(doc) ? doc : (doc as { alarms?: unknown })?.alarms;
  const errors = [...Value.Errors(RulesFile, doc)];
  if (errors.length) {
    const prefix = Array.isArray(doc) ? 'rules' : '';
    const problems = errors
      .filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'additionalProperties')
      .map((e) => ({ path: `${prefix}${jsonPointerToPath(e.instancePath)}`.replace(/^alarms/, 'alarms'), message: e.message === 'schema is false' ? 'unknown key' : e.message }));
    throw new ConfigError(file, problems.length ? problems : [{ path: '', message: 'expected a list of rules or { alarms: [...] }' }]);
  }
  return list as AlarmRuleConfig[];
}

function print(s: ReplaySummary): void {
  const iso = (t: number) => new Date(t).toISOString();
  const out: string[] = [];
  out.push(`replay ${iso(s.from)} … ${iso(s.to)}: ${s.samples} samples, ${s.raises} alarms would have been raised`);
  out.push(`  ${s.kpis.avgPer10Min.toFixed(2)} per 10 min on average, peak ${s.kpis.peak10Min} in 10 min, ${s.kpis.floodPercent.toFixed(1)} % of the time in flood`);
  out.push('', 'by rule (raises, stations):');
  for (const r of s.byRule) out.push(`  ${String(r.raises).padStart(6)}  ${String(r.stations).padStart(5)}  ${r.ruleId}`);
  out.push('', 'by station (top 20):');
  for (const r of s.byStation.slice(0, 20)) out.push(`  ${String(r.raises).padStart(6)}  ${r.station}`);
  out.push('', `chattering (≥ 3 activations in 60 s): ${s.chattering.length ? '' : 'none'}`);
  for (const id of s.chattering) out.push(`  ${id}`);
  process.stdout.write(out.join('\n') + '\n');
}

/**
 * Contexts of the period from the config and, when it exists, the state database (stops entered
 * in the page, operators' modes); the PLCs' modes come from the replayed samples.
 */
async function periodContexts(cfg: ReturnType<typeof loadConfig>): Promise<PeriodContexts> {
  const stations = cfg.stations.map((s) => ({ id: s.id, area: s.area ?? null }));
  const st = cfg.storage.state;
  if (st.kind === 'sqlite' && !existsSync(st.path)) return historicalContexts(cfg.operations, stations, cfg.site.timezone, new Map(), []);
  const db = await openStateDb(st, { applicationName: 'heatwatch-replay' });
  try {
    return historicalContexts(cfg.operations, stations, cfg.site.timezone, await operatorModeHistory(db), await storedStops(db));
  } finally {
    await db.close();
  }
}

/** `heatwatch replay --from T [--to T] [--rules FILE] [--json] [--events] [--config PATH]` */
export async function runReplay(argv: string[], configFile: (cli?: string) => string): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, rules: { type: 'string' }, json: { type: 'boolean' }, events: { type: 'boolean' } },
  });
  const now = Date.now();
  if (!values.from) throw Object.assign(new Error('--from is required (ISO time, ms epoch or now-7d)'), { code: 'ERR_PARSE_ARGS_REPLAY' });
  const from = parseTime(values.from, now);
  const to = values.to === undefined ? now : parseTime(values.to, now);
  if (from === null || to === null || from >= to) throw Object.assign(new Error('--from/--to: need two times, from before to'), { code: 'ERR_PARSE_ARGS_REPLAY' });
  const cfg = loadConfig(configFile(values.config));
  if (values.rules) cfg.alarms = loadRules(values.rules);
  const compiled = compileAlarmRules(cfg);
  if (compiled.errors.length) throw new ConfigError(values.rules ?? 'config', compiled.errors);
  const store = createSeriesStore(cfg.storage.series, { stations: cfg.stations });
  await store.init();
  try {
    if (!store.scan) throw new Error(`the ${cfg.storage.series.kind} series store cannot replay history`);
    const onRaise = values.events ? (r: ReplayRaise) => process.stdout.write(JSON.stringify(r) + '\n') : undefined;
    const period = await periodContexts(cfg);
    const summary = await replayAlarms(compiled, store.scan(from, to), from, to, { contexts: period.contexts, observe: period.observe, timeZone: cfg.site.timezone, ...(onRaise ? { onRaise } : {}) });
    // --events: the raises alone, one JSON line each, so the output can be piped to jq
    if (values.events) return 0;
    if (values.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    else print(summary);
  } finally {
    await store.close();
  }
  return 0;
}
