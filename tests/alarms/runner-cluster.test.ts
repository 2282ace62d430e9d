/**
 * The alarm runner in a cluster, on PostgreSQL: two runners see the same samples; only the owner
 * of a station writes and hands on its events, the other follows the owner's records; when the
 * station moves, the new owner takes its records from the database and raises nothing again;
 * the two count event ids in blocks that never meet.
 */
import { describe, expect, it } from 'vitest';
import { compileRules } from '../../src/alarms/compile.ts';
import { DEFAULT_RULES } from '../../src/alarms/default-rules.ts';
import type { AlarmRow } from '../../src/alarms/persist.ts';
import { EVENT_BLOCK } from '../../src/alarms/runner-cluster.ts';
import { AlarmRunner } from '../../src/alarms/runner.ts';
import type { AlarmEvent } from '../../src/alarms/types.ts';
import type { Sample } from '../../src/model.ts';
import { spyLogger } from '../helpers/spy-logger.ts';
import { useStateDbs } from '../helpers/state-db.ts';

const T0 = Date.UTC(2026, 11, 3, 8);
const FLOOD = (st: string) => `${st}.plc.flood:flood`;

describe('alarm runners of two instances on postgresql', () => {
  const dbs = useStateDbs('postgresql');

  it('the owner writes and tells, the other follows; the station moves without raising again', async () => {
    const points = ['hs-001', 'hs-002'].flatMap((station) => ['flood', 'power_ok'].map((point) => ({ station, device: 'plc', point, pollMs: 1000 })));
    const compiled = compileRules([], points, { defaults: DEFAULT_RULES });
    let t = T0;
    const s = (st: string, v: boolean): Sample => ({ point: `${st}.plc.flood`, ts: t, value: v, quality: 'good' });
    // a holds hs-001, b holds hs-002; what a tells reaches b's mirror, as the cluster bus carries it
    const held = { a: new Set(['hs-001']), b: new Set(['hs-002']) };
    const told: Array<{ to: 'a' | 'b'; rows: AlarmRow[] }> = [];
    const role = (me: 'a' | 'b') => ({ instance: `serve-${me}`, holds: (st: string) => held[me].has(st), publish: (_: readonly AlarmEvent[], rows: readonly AlarmRow[]) => told.push({ to: me === 'a' ? 'b' : 'a', rows: [...rows] }) });
    const a = await AlarmRunner.open({ compiled, db: await dbs.fresh(), logger: spyLogger(), now: () => t, cluster: role('a') });
    const b = await AlarmRunner.open({ compiled, db: dbs.again(), logger: spyLogger(), now: () => t, cluster: role('b') });
    const heard = { a: [] as AlarmEvent[], b: [] as AlarmEvent[] };
    a.onEvents((e) => heard.a.push(...e));
    b.onEvents((e) => heard.b.push(...e));
    const deliver = () => {
      for (const m of told.splice(0)) (m.to === 'a' ? a : b).cluster!.mirror(m.rows);
    };

    // both engines see the flood at both stations; each keeps and hands on only its own
    for (const r of [a, b]) r.samples([s('hs-001', true), s('hs-002', true)]);
    // b shows hs-001 as its owner has it: not raised until a says so
    expect(b.get(FLOOD('hs-001'))?.state).toBe('normal');
    expect(a.get(FLOOD('hs-002'))?.state).toBe('normal');
    deliver();
    expect(b.get(FLOOD('hs-001'))?.state).toBe('unacked');
    // the next sample, flood still there: nothing raised again here, the owner's state kept
    t += 1000;
    b.samples([s('hs-001', true)]);
    expect(b.get(FLOOD('hs-001'))?.state).toBe('unacked');
    expect(heard.a.map((e) => [e.station, e.type])).toEqual([['hs-001', 'raise']]);
    expect(heard.b.map((e) => [e.station, e.type])).toEqual([['hs-002', 'raise']]);
    await Promise.all([a.written(), b.written()]);
    const events = await a.history({ from: 0, to: t + 1 });
    expect(events.map((e) => [e.station, e.type]).sort()).toEqual([['hs-001', 'raise'], ['hs-002', 'raise']]);
    // ids from two blocks: no collision, and `ON CONFLICT DO NOTHING` dropped nothing
    const [ia, ib] = [events.find((e) => e.station === 'hs-001')!.id, events.find((e) => e.station === 'hs-002')!.id];
    expect(Math.floor(ia / EVENT_BLOCK)).not.toBe(Math.floor(ib / EVENT_BLOCK));

    // an ack on a's alarm is a's; b follows it
    expect((await a.ack(FLOOD('hs-001'), 'desk-1', 'crew sent')).ok).toBe(true);
    deliver();
    expect(b.get(FLOOD('hs-001'))).toMatchObject({ state: 'acked', ackedBy: 'desk-1' });

    // a dies; b takes hs-001 over from the database: still acked, and the flood still there raises nothing
    held.a.clear();
    held.b.add('hs-001');
    await b.cluster!.adopt(['hs-001']);
    t += 2000;
    b.samples([s('hs-001', true), s('hs-002', true)]);
    await b.written();
    expect(b.get(FLOOD('hs-001'))).toMatchObject({ state: 'acked', ackedBy: 'desk-1', comment: 'crew sent' });
    const after = await b.history({ from: 0, to: t + 1, station: 'hs-001' });
    expect(after.map((e) => e.type)).toEqual(['ack', 'raise']);
    // and it clears as one runner would
    t += 1000;
    b.samples([s('hs-001', false)]);
    await b.written();
    expect((await b.history({ from: 0, to: t + 1, station: 'hs-001' })).map((e) => e.type)).toEqual(['clear', 'ack', 'raise']);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('what happened while nobody owned a station is raised by the instance that takes it', async () => {
    const points = ['flood', 'power_ok'].map((point) => ({ station: 'hs-001', device: 'plc', point, pollMs: 1000 }));
    const compiled = compileRules([], points, { defaults: DEFAULT_RULES });
    let t = T0;
    const s = (v: boolean): Sample => ({ point: 'hs-001.plc.flood', ts: t, value: v, quality: 'good' });
    const held = new Set<string>();
    const b = await AlarmRunner.open({ compiled, db: await dbs.fresh(), logger: spyLogger(), now: () => t, cluster: { instance: 'serve-b', holds: (st) => held.has(st) } });
    // its owner died before it wrote anything; b sees the flood but does not own the station yet
    b.samples([s(true)]);
    expect(b.get(FLOOD('hs-001'))?.state).toBe('normal');
    held.add('hs-001');
    await b.cluster!.adopt(['hs-001']);
    t += 1000;
    b.samples([s(true)]);
    expect(b.get(FLOOD('hs-001'))?.state).toBe('unacked');
    expect((await b.history({ from: 0, to: t + 1, alarmId: FLOOD('hs-001') })).map((e) => e.type)).toEqual(['raise']);
    await b.stop();
  });
});
