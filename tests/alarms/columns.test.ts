// The engine keeps point readings and alarm states as typed columns; records are the form they
// are persisted, restored and shown in. Every field survives record → columns → record, and a
// state taken back by id keeps what still exists and starts the rest afresh.
import { describe, expect, it } from 'vitest';
import { AlarmStates } from '../../src/alarms/alarm-states.ts';
import { PointStates } from '../../src/alarms/point-states.ts';
import { newRecord } from '../../src/alarms/states.ts';
import type { AlarmRecord, PointRecord } from '../../src/alarms/types.ts';
import { T0 } from './helpers.ts';

const busy: AlarmRecord = {
  id: 'hs-1.plc.t:hh',
  st: 'shelved',
  raw: true,
  rawTs: T0 + 1,
  cond: true,
  activeTs: T0 + 2,
  latched: true,
  supExpr: false,
  supComm: true,
  supMode: false,
  supParent: true,
  shelvedUntil: T0 + 60_000,
  shelvedBy: 'op1',
  oos: false,
  oosUntil: null,
  x: [0, T0, 1.5, 2.5],
};
const oos: AlarmRecord = { ...newRecord('hs-1.plc.p:ll'), st: 'out_of_service', oos: true, oosUntil: T0 + 3_600_000, supMode: true };

describe('alarm states as columns', () => {
  it('keep every field of a record', () => {
    const a = new AlarmStates(['hs-1.plc.t:hh', 'hs-1.plc.p:ll', 'hs-1.plc:comm']);
    a.put(0, busy);
    a.put(1, oos);
    expect(a.record(0)).toEqual(busy);
    expect(a.record(1)).toEqual(oos);
    expect(a.record(2)).toEqual({ ...newRecord('hs-1.plc:comm'), oosUntil: null });
    // a record handed out is a copy: the engine's rate window is not shared with it
    a.record(0).x!.push(9);
    expect(a.x[0]).toEqual(busy.x);
  });

  it('read fields an older record lacks as off', () => {
    const a = new AlarmStates(['hs-1.plc.t:hh']);
    const old = { ...busy } as Partial<AlarmRecord>;
    delete old.supMode;
    delete old.supParent;
    delete old.oosUntil;
    a.put(0, old as AlarmRecord);
    expect(a.record(0)).toMatchObject({ supMode: false, supParent: false, oosUntil: null, shelvedBy: 'op1' });
  });

  it('are taken back by id: kept where the alarm still exists, at rest where it is new', () => {
    const held = new AlarmStates(['gone:hh', 'hs-1.plc.t:hh']);
    held.put(0, { ...busy, id: 'gone:hh' });
    held.put(1, busy);
    const ids = ['hs-1.plc.t:hh', 'hs-2.plc.t:hh'];
    const a = AlarmStates.of(ids, JSON.parse(JSON.stringify(held)) as AlarmRecord[]);
    expect(a.record(0)).toEqual(busy);
    expect(a.state(1)).toBe('normal');
    expect(AlarmStates.of(ids, a)).toBe(a);
  });

  it('tell which alarms a checkpoint keeps', () => {
    const a = new AlarmStates(['a', 'b', 'c', 'd']);
    a.put(1, { ...newRecord('b'), shelvedUntil: T0 });
    a.put(2, { ...newRecord('c'), x: [0.3, 0.16] });
    a.put(3, { ...newRecord('d'), x: [1, 2, 3] });
    const baseline = (x: number[] | null) => x !== null && x.length === 2;
    expect([0, 1, 2, 3].map((i) => a.busy(i, baseline))).toEqual([false, true, true, false]);
  });
});

describe('point readings as columns', () => {
  const good: PointRecord = { id: 'hs-1.plc.t', val: 71.5, v: 71.5, ok: true, quality: 'good', ts: T0 + 5, good: T0 + 5, changed: T0 };
  const on: PointRecord = { id: 'hs-1.plc.run', val: true, v: 1, ok: true, quality: 'good', ts: T0, good: T0, changed: T0 };
  const bad: PointRecord = { id: 'hs-1.plc.p', val: null, v: 0.4, ok: false, quality: 'bad', ts: T0 + 9, good: T0 + 1, changed: T0 + 1 };

  it('keep every field of a record, booleans as booleans', () => {
    const p = new PointStates([good.id, on.id, bad.id, 'hs-1.plc.x']);
    [good, on, bad].forEach((r, i) => p.put(i, r));
    expect(p.toJSON()).toEqual([good, on, bad, { id: 'hs-1.plc.x', val: null, v: 0, ok: false, quality: null, ts: -1, good: -1, changed: -1 }]);
  });

  it('are taken back by id from a JSON copy', () => {
    const p = new PointStates([good.id, bad.id]);
    p.put(0, good);
    p.put(1, bad);
    const q = PointStates.of([bad.id, 'hs-2.plc.t', good.id], JSON.parse(JSON.stringify(p)) as PointRecord[]);
    expect(q.record(0)).toEqual(bad);
    expect(q.record(1).quality).toBeNull();
    expect(q.record(2)).toEqual(good);
  });
});
