import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileRules } from '../../src/alarms/compile.ts';
import { DEFAULT_RULES } from '../../src/alarms/default-rules.ts';
import { AlarmRunner } from '../../src/alarms/runner.ts';
import type { AlarmEvent } from '../../src/alarms/types.ts';
import type { Sample } from '../../src/model.ts';
import type { StateDb } from '../../src/state/db.ts';
import { SqliteStateDb } from '../../src/state/sqlite-db.ts';

const POINTS = ['flood', 'power_ok', 't_outdoor', 't_sec_supply', 'pump1_run', 'pump1_cmd'].map((point) => ({ station: 'hs-001', device: 'plc', point, pollMs: 1000 }));
const compiled = compileRules([], POINTS, { defaults: DEFAULT_RULES });

let dir: string;
let db: StateDb;
let t: number;
const log = pino({ level: 'silent' });

async function runner(): Promise<{ r: AlarmRunner; events: AlarmEvent[] }> {
  const r = await AlarmRunner.open({ compiled, db, logger: log, now: () => t });
  const events: AlarmEvent[] = [];
  r.onEvents((e) => events.push(...e));
  return { r, events };
}
const s = (point: string, value: number | boolean, quality: Sample['quality'] = 'good'): Sample => ({ point: `hs-001.plc.${point}`, ts: t, value, quality });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-runner-'));
  db = new SqliteStateDb(join(dir, 'state.db'));
  t = 1_800_000_000_000;
});
afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('AlarmRunner', () => {
  it('persists events and restores states after a crash without re-raising', async () => {
    const a = await runner();
    a.r.samples([s('flood', true), s('power_ok', true)]);
    expect(a.events.map((e) => `${e.alarmId} ${e.type}`)).toEqual(['hs-001.plc.flood:flood raise']);
    const ack = await a.r.ack('hs-001.plc.flood:flood', 'dispatcher-1', 'crew sent');
    expect(ack.ok).toBe(true);
    // no stop(), no checkpoint: as after SIGKILL
    t += 5000;
    await a.r.written();
    const b = await runner();
    expect(b.r.get('hs-001.plc.flood:flood')).toMatchObject({ state: 'acked', ackedBy: 'dispatcher-1', comment: 'crew sent' });
    b.r.samples([s('flood', true)]);
    b.r.tick();
    expect(b.events).toEqual([]);
    t += 1000;
    b.r.samples([s('flood', false)]);
    expect(b.events.map((e) => `${e.type} ${e.from}→${e.to}`)).toEqual(['clear acked→normal']);
    // event ids continue after the restart
    expect(b.events[0].id).toBeGreaterThan(a.events[a.events.length - 1].id);
    await b.r.written();
    const history = await b.r.history({ from: 0, to: t + 1 });
    expect(history.map((e) => e.type)).toEqual(['clear', 'ack', 'raise']);
  });

  it('refuses actions with a reason: unknown alarm 404, nothing to ack 409, shelve without comment or too long', async () => {
    const { r } = await runner();
    expect(await r.ack('nope', 'u', undefined)).toMatchObject({ ok: false, status: 404 });
    expect(await r.ack('hs-001.plc.flood:flood', 'u', undefined)).toMatchObject({ ok: false, status: 409 });
    expect(await r.shelve('hs-001.plc.flood:flood', 'u', ' ', 10)).toMatchObject({ ok: false, error: expect.stringContaining('comment') });
    expect(await r.shelve('hs-001.plc.flood:flood', 'u', 'storm', 721)).toMatchObject({ ok: false, error: expect.stringContaining('minutes') });
  });

  it('shelving hides an alarm until it expires, then it returns as unacked if the condition holds', async () => {
    const { r, events } = await runner();
    r.samples([s('flood', true)]);
    expect((await r.shelve('hs-001.plc.flood:flood', 'op', 'known, crew on site', 10)).ok).toBe(true);
    expect(r.get('hs-001.plc.flood:flood')).toMatchObject({ state: 'shelved', shelvedBy: 'op' });
    expect(r.worstByStation().get('hs-001')).toBeUndefined();
    for (let i = 0; i < 10; i++) {
      t += 60_000;
      r.samples([s('flood', true)]);
      r.tick();
      if (i < 9) expect(r.get('hs-001.plc.flood:flood')!.state).toBe('shelved');
    }
    t += 1000;
    r.tick();
    expect(r.get('hs-001.plc.flood:flood')!.state).toBe('unacked');
    // (t_sec_supply never reported in this test, so its stale alarm rises too; only the flood alarm matters here)
    const flood = events.filter((e) => e.alarmId === 'hs-001.plc.flood:flood');
    expect(flood.map((e) => `${e.type} ${e.from}→${e.to} ${e.user}`)).toEqual(['raise normal→unacked undefined', 'shelve unacked→shelved op', 'unshelve shelved→unacked system']);
    expect(r.worstByStation().get('hs-001')).toBe(1);
  });

  it('external alarms follow the same states and survive a restart', async () => {
    const a = await runner();
    a.r.raiseExternal({ key: 'customer_no_heat', station: 'hs-001', class: 'no_heat', priority: 2, message: 'customers report no heat', active: true, value: 3 });
    expect(a.r.list()).toEqual([expect.objectContaining({ id: 'hs-001:customer_no_heat', state: 'unacked', source: 'external', value: 3 })]);
    a.r.raiseExternal({ key: 'customer_no_heat', station: 'hs-001', class: 'no_heat', priority: 2, message: 'customers report no heat', active: true });
    expect(a.events.length).toBe(1);
    await a.r.written();
    const b = await runner();
    expect(b.r.get('hs-001:customer_no_heat')!.state).toBe('unacked');
    b.r.raiseExternal({ key: 'customer_no_heat', station: 'hs-001', class: 'no_heat', priority: 2, message: 'customers report no heat', active: false });
    expect((await b.r.ack('hs-001:customer_no_heat', 'op', undefined)).ok).toBe(true);
    expect(b.r.get('hs-001:customer_no_heat')!.state).toBe('normal');
    expect(b.events.map((e) => `${e.type} ${e.from}→${e.to}`)).toEqual(['clear unacked→rtn_unacked', 'ack rtn_unacked→normal']);
  });

  it('flags chattering alarms (≥ 3 activations in 60 s) and counts them in the KPIs', async () => {
    const { r } = await runner();
    for (let i = 0; i < 3; i++) {
      r.samples([s('flood', true)]);
      t += 5000;
      r.samples([s('flood', false)]);
      t += 5000;
    }
    expect(r.get('hs-001.plc.flood:flood')!.chattering).toBe(true);
    await r.written();
    const k = await r.kpis(t - 3_600_000, t + 1);
    expect(k.raises).toBe(3);
    expect(k.chattering).toEqual(['hs-001.plc.flood:flood']);
    expect(k.priorities[1]).toEqual({ count: 3, share: 1 });
  });

  it('a device in comm loss suppresses its point alarms and raises one comm-loss alarm', async () => {
    const { r, events } = await runner();
    r.status({ station: 'hs-001', device: 'plc', comm: 'online', ts: t });
    r.samples([s('flood', true)]);
    r.status({ station: 'hs-001', device: 'plc', comm: 'offline', ts: t, error: 'timeout' });
    r.samples(POINTS.map((p) => s(p.point, 0, 'bad')).map((x) => ({ ...x, value: null })));
    t += 61_000;
    r.tick();
    // after max(3 × period, 60 s) the point alarms are suppressed; a short outage annunciates nothing
    expect(r.get('hs-001.plc.flood:flood')!.state).toBe('suppressed');
    expect(events.filter((e) => e.type === 'raise').map((e) => e.alarmId)).toEqual(['hs-001.plc.flood:flood']);
    t += 540_000;
    r.tick();
    t += 2_000; // a child of comm_loss_15m waits for its parent's condition (CHILD_MIN_DELAY_MS)
    r.tick();
    const raised = events.filter((e) => e.type === 'raise').map((e) => e.alarmId);
    expect(raised).toEqual(['hs-001.plc.flood:flood', 'hs-001.plc:comm_loss']);
  });
});
