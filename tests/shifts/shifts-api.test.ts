/**
 * The shift log over HTTP against the whole service (startService on a loopback port, SQLite in
 * a temporary folder) on an injected clock: notes written in the day shift, 400s naming the
 * field and 403 for a read-only token with nothing stored; then the clock moves into the night
 * shift, which opens with the day's notes and a summary: open tickets by priority, the deadlines
 * tickets missed during the day (driven by the ticket service's SLA timer on the same clock; a
 * breach in the night shift is not the day's), the annunciated alarms, and stations in
 * maintenance or stopped. A handed-over note stays as written: a correction is appended.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.ts';
import { startService, type Service } from '../../src/service.ts';
import { reservePort, type PortLease } from '../helpers/ports.ts';

const HOUR = 3_600_000;
const MIN = 60_000;
/** 10:00 in Asia/Shanghai: the day shift (08:00–20:00) */
const T0 = Date.parse('2025-01-15T10:00:00+08:00');
const DAY_START = Date.parse('2025-01-15T08:00:00+08:00');
const NIGHT_START = Date.parse('2025-01-15T20:00:00+08:00');

const clock = { t: T0, now: () => clock.t };
let dir: string;
let lease: PortLease;
let svc: Service;

const yaml = (port: number) => `
site: { name: 测试热力, timezone: Asia/Shanghai }
stations:
${[1, 2, 3]
  .map((i) => `  - { id: hs-00${i}, name: 南岗${i}号站, area: 南岗区, devices: [ { id: plc, endpoint: "modbus+tcp://127.0.0.1:${port}", pollMs: 60000, points: [ { id: t_sec_supply, table: holding, address: 0, type: float32 } ] } ] }`)
  .join('\n')}
# nothing listens on the devices' port: keep the stations' comm loss out of the alarms and tickets this test counts
alarms:
  - { id: comm_loss, enabled: false }
  - { id: comm_loss_15m, enabled: false }
tickets:
  openAfterMin: { "1": null, "2": null, "3": null, "4": null }
  tickMs: 3600000
auth:
  tokens:
    - { name: wall, token: view-0123456789abcdef, role: viewer }
    - { name: desk-1, token: op1-0123456789abcdef, role: operator }
    - { name: desk-2, token: op2-0123456789abcdef, role: operator }
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-shifts-api-'));
  lease = await reservePort();
  const cfg = parseConfigText(yaml(lease.port), 'shifts test');
  cfg.api.port = 0;
  cfg.storage.series = { kind: 'sqlite', path: join(dir, 'series.db') };
  cfg.storage.state = { kind: 'sqlite', path: join(dir, 'state.db') };
  svc = await startService(cfg, { logger: pino({ level: 'silent' }), listen: true, now: clock.now });
}, 30_000);

afterAll(async () => {
  await svc?.stop();
  await lease?.release();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const TOKENS = { view: 'view', op1: 'op1', op2: 'op2' } as const;
async function call(method: string, path: string, who: keyof typeof TOKENS | null, body?: unknown): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = who ? { authorization: `Bearer ${TOKENS[who]}-0123456789abcdef` } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(`${svc.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null };
}
const noteCount = async () => (await svc.stateDb.get<{ n: number }>('SELECT COUNT(*) AS n FROM shift_notes'))!.n;
const ticket = async (priority: string, title: string, station: string) => {
  const r = await call('POST', '/api/tickets', 'op1', { source: 'manual', priority, title, description: title, station });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  return (r.json.ticket ?? r.json).id as number;
};

const ids: Record<string, number> = {};

describe('the day shift writes its handover notes', () => {
  it('the current shift is the day shift; nothing handed over yet', async () => {
    const r = await call('GET', '/api/shifts/current', 'view');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ timezone: 'Asia/Shanghai', now: T0, shift: { start: DAY_START, end: NIGHT_START, startsAt: '08:00', endsAt: '20:00', date: '2025-01-15' }, previous: { end: DAY_START }, notes: [], previousNotes: [] });
  });

  it('an operator writes notes; author and time come from the session, and each is audited', async () => {
    ids.p1 = await ticket('P1', '3号站二次网爆管', 'hs-003');
    ids.p2 = await ticket('P2', '2号站循环泵跳闸', 'hs-002');
    ids.p3 = await ticket('P3', '1号站温度传感器漂移', 'hs-001');
    const a = await call('POST', '/api/shifts/notes', 'op1', { text: '  3号站爆管已派抢修，等待回复  ', station: 'hs-003', ticket: ids.p1 });
    expect(a.status, JSON.stringify(a.json)).toBe(201);
    expect(a.json).toMatchObject({ text: '3号站爆管已派抢修，等待回复', station: 'hs-003', stationName: '南岗3号站', ticket: ids.p1, author: 'desk-1', role: 'operator', ts: T0, shiftStart: DAY_START, shiftEnd: NIGHT_START, corrects: null, open: true });
    ids.noteA = a.json.id;
    clock.t += 30 * MIN;
    const b = await call('POST', '/api/shifts/notes', 'op2', { text: '南岗区今晚22点后降温，注意回温' });
    expect(b.status).toBe(201);
    ids.noteB = b.json.id;
    const audit = (await svc.state.listAudit({ limit: 20 })).filter((e) => e.action === 'shift.note');
    expect(audit.map((e) => [e.user, e.target])).toEqual([
      ['desk-2', `shift-note:${ids.noteB}`],
      ['desk-1', `shift-note:${ids.noteA}`],
    ]);
    expect(audit[1].detail).toMatchObject({ shift: DAY_START, station: 'hs-003', ticket: ids.p1 });
  });

  it.each([
    ['empty text', 'body.text', { text: '' }],
    ['only spaces', 'body.text', { text: '   \n ' }],
    ['too long', 'body.text', { text: '热'.repeat(4001) }],
    ['unknown station', 'body.station', { text: '巡检', station: 'hs-999' }],
    ['unknown ticket', 'body.ticket', { text: '巡检', ticket: 99_999 }],
    ['correcting a note that is not there', 'body.corrects', { text: '更正', corrects: 99_999 }],
    ['an unknown key', 'body.colour', { text: '巡检', colour: 'red' }],
  ])('%s: 400 naming %s, nothing stored', async (_what, field, body) => {
    const before = await noteCount();
    const r = await call('POST', '/api/shifts/notes', 'op1', body);
    expect(r.status).toBe(400);
    expect(r.json.field).toBe(field);
    expect(r.json.message).toMatch(new RegExp(`^${field.replace('.', '\\.')}: `));
    expect(await noteCount()).toBe(before);
  });

  it('4000 characters are accepted (characters, not bytes)', async () => {
    const r = await call('POST', '/api/shifts/notes', 'op1', { text: '热'.repeat(4000) });
    expect(r.status).toBe(201);
    ids.long = r.json.id;
  });

  it('a read-only token reads but cannot write (403, nothing stored); no token is 401', async () => {
    const before = await noteCount();
    expect((await call('POST', '/api/shifts/notes', 'view', { text: '只读令牌' })).status).toBe(403);
    expect((await call('PUT', `/api/shifts/notes/${ids.noteA}`, 'view', { text: '只读令牌' })).status).toBe(403);
    expect((await call('POST', '/api/shifts/notes', null, { text: '无令牌' })).status).toBe(401);
    expect((await call('GET', '/api/shifts/current', null)).status).toBe(401);
    expect(await noteCount()).toBe(before);
  });

  it('the author may change a note while the shift lasts; another operator may not', async () => {
    expect((await call('PUT', `/api/shifts/notes/${ids.noteA}`, 'op2', { text: '改别人的' })).status).toBe(403);
    // what a note corrects is fixed when it is written
    const moved = await call('PUT', `/api/shifts/notes/${ids.noteA}`, 'op1', { text: '改', corrects: ids.noteB });
    expect([moved.status, moved.json.field]).toEqual([400, 'body.corrects']);
    expect((await call('PUT', '/api/shifts/notes/99999', 'op1', { text: '没有这条' })).status).toBe(404);
    clock.t += 10 * MIN;
    const r = await call('PUT', `/api/shifts/notes/${ids.noteA}`, 'op1', { text: '3号站爆管已派抢修，抢修队预计21点到站', station: 'hs-003', ticket: ids.p1 });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ text: '3号站爆管已派抢修，抢修队预计21点到站', editedAt: clock.t, ts: T0 });
    const audit = (await svc.state.listAudit({ limit: 5 })).find((e) => e.action === 'shift.note_edit');
    expect(audit).toMatchObject({ user: 'desk-1', target: `shift-note:${ids.noteA}`, detail: { before: { text: '3号站爆管已派抢修，等待回复' } } });
  });

  it('the day goes on: a station into maintenance, a planned stop, an alarm; deadlines pass', async () => {
    expect((await call('PUT', '/api/stations/hs-002/mode', 'op1', { mode: 'maintenance', comment: '班组检修循环泵', until: NIGHT_START + 4 * HOUR })).status).toBe(200);
    const stop = await call('POST', '/api/planned-stops', 'op1', { stations: ['hs-003'], from: clock.t, to: clock.t + 24 * HOUR, reason: '爆管抢修停热' });
    expect(stop.status).toBe(201);
    svc.alarms.raiseExternal({ key: 'shift_test_p2', station: 'hs-001', class: 'test', priority: 2, message: '测试报警二级', active: true });
    svc.alarms.raiseExternal({ key: 'shift_test_p1', station: 'hs-001', class: 'test', priority: 1, message: '测试报警一级', active: true });
    // 19:00: the P1 missed respond-by (5 min) and on-site-by (30 min), the P2 its respond-by (2 h)
    clock.t = Date.parse('2025-01-15T19:00:00+08:00');
    await svc.tickets.tick();
    // 19:30: a P2 whose respond-by (21:30) passes in the night shift
    clock.t = Date.parse('2025-01-15T19:30:00+08:00');
    ids.late = await ticket('P2', '1号站用户报不热', 'hs-001');
  });
});

describe('the night shift opens with the handover', () => {
  it('shows the day shift’s notes and the summary computed now', async () => {
    clock.t = Date.parse('2025-01-15T22:00:00+08:00');
    await svc.tickets.tick(); // marks the 19:30 ticket's breach at 22:00, in the night shift
    const p1Alarm = svc.alarms.list({ state: 'active' }).find((a) => a.priority === 1)!;
    expect((await call('POST', `/api/alarms/${encodeURIComponent(p1Alarm.id)}/ack`, 'op2', { comment: '已知' })).status).toBe(200);

    const r = await call('GET', '/api/shifts/current', 'view');
    expect(r.status).toBe(200);
    const c = r.json;
    expect(c.shift).toMatchObject({ start: NIGHT_START, end: Date.parse('2025-01-16T08:00:00+08:00'), startsAt: '20:00' });
    expect(c.previous).toMatchObject({ start: DAY_START, end: NIGHT_START });
    expect(c.notes).toEqual([]);
    expect(c.previousNotes.map((n: { id: number }) => n.id)).toEqual([ids.noteA, ids.noteB, ids.long]);
    expect(c.previousNotes[0]).toMatchObject({ text: '3号站爆管已派抢修，抢修队预计21点到站', author: 'desk-1', station: 'hs-003', ticket: ids.p1, open: false });

    const s = c.summary;
    expect(s.at).toBe(clock.t);
    expect(s.openTickets).toEqual({ total: 4, byPriority: { P1: 1, P2: 2, P3: 1, P4: 0 } });
    expect(s.alarms).toEqual({ total: 2, unacked: 1, byPriority: { '1': 1, '2': 1, '3': 0, '4': 0 } });
    // the day's breaches only: the 19:30 ticket's, marked at 22:00, belongs to the night
    expect(s.breached.map((b: { ticket: number; deadline: string }) => [b.ticket, b.deadline])).toEqual([
      [ids.p1, 'respond'],
      [ids.p1, 'on_site'],
      [ids.p2, 'respond'],
    ]);
    expect(s.breached[0]).toMatchObject({ title: '3号站二次网爆管', station: 'hs-003', priority: 'P1', at: Date.parse('2025-01-15T19:00:00+08:00') });
    expect(s.stationsOff).toEqual([
      { station: 'hs-002', name: '南岗2号站', area: '南岗区', mode: 'maintenance', source: 'operator', until: NIGHT_START + 4 * HOUR, reason: '班组检修循环泵', by: 'desk-1' },
      { station: 'hs-003', name: '南岗3号站', area: '南岗区', mode: 'stopped', source: 'planned_stop', until: expect.any(Number), reason: '爆管抢修停热', by: 'desk-1' },
    ]);
  });

  it('a handed-over note stays as written (409); a correction is appended and points at it', async () => {
    const before = await svc.stateDb.get<{ text: string }>('SELECT text FROM shift_notes WHERE id = ?', [ids.noteB]);
    const edit = await call('PUT', `/api/shifts/notes/${ids.noteB}`, 'op2', { text: '改过去的' });
    expect(edit.status).toBe(409);
    expect(edit.json.field).toBe('params.id');
    expect(edit.json.message).toMatch(/corrects/);
    expect(await svc.stateDb.get('SELECT text FROM shift_notes WHERE id = ?', [ids.noteB])).toEqual(before);

    const fix = await call('POST', '/api/shifts/notes', 'op1', { text: '更正：南岗区降温改为明早6点', corrects: ids.noteB });
    expect(fix.status).toBe(201);
    expect(fix.json).toMatchObject({ corrects: ids.noteB, shiftStart: NIGHT_START, open: true });
    const c = (await call('GET', '/api/shifts/current', 'view')).json;
    expect(c.notes.map((n: { id: number }) => n.id)).toEqual([fix.json.id]);
  });

  it('past shifts are read back by range, newest first, each with its notes; a range over 31 days is a 400', async () => {
    const r = await call('GET', `/api/shifts?from=${DAY_START - 12 * HOUR}&to=${clock.t}`, 'view');
    expect(r.status).toBe(200);
    expect(r.json.shifts.map((s: { start: number; notes: unknown[] }) => [s.start, s.notes.length])).toEqual([
      [NIGHT_START, 1],
      [DAY_START, 3],
      [DAY_START - 12 * HOUR, 0],
    ]);
    const long = await call('GET', `/api/shifts?from=${clock.t - 40 * 24 * HOUR}&to=${clock.t}`, 'view');
    expect(long.status).toBe(400);
    expect(long.json.field).toBe('from');
  });
});
