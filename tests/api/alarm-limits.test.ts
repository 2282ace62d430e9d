// Alarm API bounds and authority, in process (app.inject, an alarm runner over SQLite, an injected
// clock): history and KPI ranges are capped with a 400 naming the cap; out of service needs the
// engineer role and an end time and ends by itself; an action's audit row is written in the
// transaction of its alarm events (a failure of either leaves neither).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRules } from '../../src/alarms/compile.ts';
import { DEFAULT_RULES } from '../../src/alarms/default-rules.ts';
import { AlarmRunner } from '../../src/alarms/runner.ts';
import { buildApp } from '../../src/api/app.ts';
import { TokenAuth } from '../../src/api/auth.ts';
import type { LiveView } from '../../src/api/deps.ts';
import { parseConfigText } from '../../src/config/load.ts';
import type { Sample } from '../../src/model.ts';
import type { SqliteStateDb } from '../../src/state/sqlite-db.ts';
import { openSqliteState, type SqliteState } from '../helpers/sqlite-state.ts';
import type { SeriesStore } from '../../src/store/port.ts';

const VIEWER = 'viewer-token-0123456789';
const OPERATOR = 'operator-token-0123456789';
const ENGINEER = 'engineer-token-0123456789';
const H = (t: string) => ({ authorization: `Bearer ${t}`, 'content-type': 'application/json' });
const FLOOD = 'hs-001.plc.flood:flood';
const DAY = 86_400_000;

const YAML = `stations:
  - id: hs-001
    devices: [ { id: plc, endpoint: "modbus+tcp://127.0.0.1:5020", points: [ { id: flood, table: coil, address: 0, type: bool } ] } ]
auth:
  tokens:
    - { name: wall, token: ${VIEWER}, role: viewer }
    - { name: desk-1, token: ${OPERATOR}, role: operator }
    - { name: eng-1, token: ${ENGINEER}, role: engineer }
`;

let dir: string;
let stateDb: SqliteStateDb;
let state: SqliteState;
let runner: AlarmRunner;
let app: FastifyInstance;
let t = Date.UTC(2025, 0, 15, 4);

const flood = (v: boolean): Sample => ({ point: 'hs-001.plc.flood', ts: t, value: v, quality: 'good' });
const post = (url: string, token: string, body: unknown) => app.inject({ method: 'POST', url, headers: H(token), payload: JSON.stringify(body) });
const oos = (token: string, body: unknown) => post(`/api/alarms/${encodeURIComponent(FLOOD)}/out-of-service`, token, body);
const ackEvents = () => (state.db.prepare("SELECT COUNT(*) AS n FROM alarm_events WHERE type = 'ack'").get() as { n: number }).n;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-alarm-limits-'));
  const cfg = parseConfigText(YAML, 'test');
  state = await openSqliteState(join(dir, 'state.db'));
  stateDb = state.stateDb;
  const points = ['flood', 'power_ok'].map((point) => ({ station: 'hs-001', device: 'plc', point, pollMs: 1000 }));
  runner = await AlarmRunner.open({ compiled: compileRules([], points, { defaults: DEFAULT_RULES }), db: stateDb, logger: pino({ level: 'silent' }), now: () => t, maxKpiEvents: 50 });
  const live: LiveView = { latest: () => undefined, deviceStatus: () => undefined, onSamples: () => () => {}, health: () => ({ status: 'ok' }) };
  app = await buildApp({ config: cfg, auth: new TokenAuth(cfg.tokens), live, series: {} as SeriesStore, state: state.store, metrics: new Registry(), logger: pino({ level: 'silent' }), alarms: runner, now: () => t });
  runner.samples([flood(true)]);
});
afterAll(async () => {
  await app?.close();
  await runner?.stop();
  await stateDb?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('read ranges are capped', () => {
  it('KPIs over more than 400 days (e.g. from=0) get a 400 naming the cap; 400 days are served', async () => {
    const all = await app.inject({ url: '/api/alarms/kpis?from=0', headers: H(VIEWER) });
    expect(all.statusCode).toBe(400);
    expect(all.json()).toMatchObject({ field: 'from' });
    expect(all.json().message).toMatch(/longer than 400 days/);
    expect((await app.inject({ url: `/api/alarms/kpis?from=${t - 400 * DAY}`, headers: H(VIEWER) })).statusCode).toBe(200);
  });

  it('history over more than 31 days gets a 400 naming the cap', async () => {
    const r = await app.inject({ url: '/api/alarms/history?from=now-32d', headers: H(VIEWER) });
    expect(r.statusCode).toBe(400);
    expect(r.json().message).toMatch(/longer than 31 days/);
    expect((await app.inject({ url: '/api/alarms/history?from=now-31d', headers: H(VIEWER) })).statusCode).toBe(200);
  });

  it('a KPI window holding more events than the cap gets a 400 naming it, without loading them', async () => {
    for (let i = 0; i < 30; i++) {
      t += 60_000;
      runner.samples([flood(false)]);
      runner.samples([flood(true)]);
    }
    const r = await app.inject({ url: '/api/alarms/kpis?from=now-1d', headers: H(VIEWER) });
    expect(r.statusCode).toBe(400);
    expect(r.json().message).toMatch(/more than 50 alarm events/);
    // KPIs also read the 30 days before the window (stale alarms): a month later it is served
    t += 31 * DAY;
    expect((await app.inject({ url: '/api/alarms/kpis?from=now-1d', headers: H(VIEWER) })).statusCode).toBe(200);
  });
});

describe('out of service', () => {
  it('needs the engineer role and an end time of at most 30 days; ends by itself; audited', async () => {
    const byOperator = await oos(OPERATOR, { comment: 'sensor swap', on: true, minutes: 60 });
    expect(byOperator.statusCode).toBe(403);
    expect(byOperator.json().message).toContain('engineer');
    const noEnd = await oos(ENGINEER, { comment: 'sensor swap', on: true });
    expect(noEnd.statusCode).toBe(400);
    expect(noEnd.json().field).toBe('until');
    const tooLong = await oos(ENGINEER, { comment: 'sensor swap', on: true, until: new Date(t + 31 * DAY).toISOString() });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().message).toMatch(/at most 30 days/);
    expect(runner.get(FLOOD)!.state).not.toBe('out_of_service');

    const ok = await oos(ENGINEER, { comment: 'sensor swap', on: true, minutes: 90 });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ state: 'out_of_service', outOfServiceUntil: t + 90 * 60_000 });
    expect((await state.listAudit())[0]).toMatchObject({ user: 'eng-1', role: 'engineer', action: 'alarm.oos', target: FLOOD });
    t += 91 * 60_000;
    runner.tick();
    expect(runner.get(FLOOD)).toMatchObject({ outOfServiceUntil: null });
    expect(runner.get(FLOOD)!.state).not.toBe('out_of_service');
    await runner.written();
    expect((await runner.history({ from: t - 60_000, to: t + 1 }))[0]).toMatchObject({ type: 'return', user: 'system' });
  });

  it('an operator may return an alarm to service', async () => {
    expect((await oos(ENGINEER, { comment: 'valve work', on: true, minutes: 30 })).statusCode).toBe(200);
    const back = await oos(OPERATOR, { comment: 'work done', on: false });
    expect(back.statusCode).toBe(200);
    expect(back.json().state).not.toBe('out_of_service');
  });
});

describe('the audit row is written in the alarm transaction', () => {
  it('an audit row that cannot be written leaves no acknowledgement event either', async () => {
    t += 60_000;
    runner.samples([flood(false)]);
    runner.samples([flood(true)]);
    expect(runner.get(FLOOD)!.state).toBe('unacked');
    const before = ackEvents();
    state.db.exec("CREATE TRIGGER no_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'disk full'); END;");
    try {
      const r = await post(`/api/alarms/${encodeURIComponent(FLOOD)}/ack`, OPERATOR, { comment: 'seen' });
      expect(r.statusCode).toBe(500);
      expect(ackEvents()).toBe(before);
    } finally {
      state.db.exec('DROP TRIGGER no_audit');
    }
  });
});
