import { describe, expect, it } from 'vitest';
import type { AlarmRuleConfig } from '../../src/alarms/index.ts';
import { T0, harness, pointsOf, series, types } from './helpers.ts';

const PTS = pointsOf('hs-1', 'plc', ['t', 'run']);
const HIGH: AlarmRuleConfig = { point: '*.plc.t', type: 'high', limit: 80, priority: 2 };
const ID = 'hs-1.plc.t:h';
const at = (s: number) => T0 + s * 1000;

/** Script steps: a value at second s, or an operator action. */
type Op = [number, string | number];

function run(ops: Op[], rule: AlarmRuleConfig = HIGH, opts: { maxShelveMinutes?: number } = {}) {
  const h = harness([rule], PTS, opts);
  const out: string[] = [];
  for (const [s, op] of ops) {
    const now = at(s);
    let r;
    if (typeof op === 'number') r = h.engine.step(h.state, { point: 'hs-1.plc.t', ts: now, value: op, quality: 'good' }, now);
    else if (op === 'ack') r = h.engine.ack(h.state, ID, 'op1', 'seen', now);
    else if (op.startsWith('shelve')) r = h.engine.shelve(h.state, ID, 'op1', 'known issue', Number(op.split(' ')[1]), now);
    else if (op === 'unshelve') r = h.engine.unshelve(h.state, ID, 'op1', undefined, now);
    else if (op === 'oos none') r = h.engine.setOutOfService(h.state, ID, 'eng1', 'maintenance', true, now);
    else if (op.startsWith('oos')) r = h.engine.setOutOfService(h.state, ID, 'eng1', 'maintenance', true, now, now + Number(op.split(' ')[1] ?? 60) * 60_000);
    else if (op === 'ios') r = h.engine.setOutOfService(h.state, ID, 'op1', 'done', false, now);
    else if (op === 'tick') r = h.engine.tick(h.state, now);
    else throw new Error(op);
    h.state = r.state;
    if ('ok' in r && !r.ok) out.push(`error`);
    out.push(...types([...r.events]));
  }
  return { out, h };
}

describe('ISA-18.2 transitions', () => {
  const table: Array<{ name: string; ops: Op[]; expect: string[]; rule?: AlarmRuleConfig }> = [
    { name: 'normal→unacked on activation', ops: [[0, 90]], expect: ['raise:unacked'] },
    { name: 'unacked→acked on ack, acked→normal on clear', ops: [[0, 90], [1, 'ack'], [2, 70]], expect: ['raise:unacked', 'ack:acked', 'clear:normal'] },
    { name: 'unacked→rtn_unacked on clear, rtn_unacked→normal on ack', ops: [[0, 90], [1, 70], [2, 'ack']], expect: ['raise:unacked', 'clear:rtn_unacked', 'ack:normal'] },
    { name: 'rtn_unacked→unacked if it recurs', ops: [[0, 90], [1, 70], [2, 90]], expect: ['raise:unacked', 'clear:rtn_unacked', 'raise:unacked'] },
    { name: 'ack in normal is refused', ops: [[0, 70], [1, 'ack']], expect: ['error'] },
    {
      name: 'shelved: condition tracked, unshelve → normal when it cleared',
      ops: [[0, 90], [1, 'shelve 10'], [2, 70], [3, 'unshelve']],
      expect: ['raise:unacked', 'shelve:shelved', 'unshelve:normal'],
    },
    {
      name: 'shelved: unshelve → unacked while the condition holds',
      ops: [[0, 70], [1, 'shelve 10'], [2, 90], [3, 'unshelve']],
      expect: ['shelve:shelved', 'unshelve:unacked'],
    },
    { name: 'shelve expires on tick (data keeps the device alive)', ops: [[0, 90], [1, 'shelve 1'], [50, 90], [60, 'tick'], [61, 'tick']], expect: ['raise:unacked', 'shelve:shelved', 'unshelve:unacked'] },
    { name: 'shelve longer than the maximum is refused', ops: [[0, 90], [1, 'shelve 721']], expect: ['raise:unacked', 'error'] },
    { name: 'out of service and return', ops: [[0, 90], [1, 'oos'], [2, 70], [3, 90], [4, 70], [5, 'ios']], expect: ['raise:unacked', 'oos:out_of_service', 'return:normal'] },
    { name: 'out of service needs an end time', ops: [[0, 90], [1, 'oos none']], expect: ['raise:unacked', 'error'] },
    { name: 'out of service beyond 30 days is refused', ops: [[0, 90], [1, 'oos 43201'], [2, 'oos 43200']], expect: ['raise:unacked', 'error', 'oos:out_of_service'] },
    { name: 'out of service ends by itself at its end time', ops: [[0, 90], [1, 'oos 1'], [50, 90], [60, 'tick'], [61, 'tick']], expect: ['raise:unacked', 'oos:out_of_service', 'return:unacked'] },
    { name: 'out of service clears a shelve', ops: [[0, 90], [1, 'shelve 5'], [2, 'oos'], [3, 'ios']], expect: ['raise:unacked', 'shelve:shelved', 'oos:out_of_service', 'return:unacked'] },
    {
      name: 'latching: stays unacked after clear until acked',
      rule: { ...HIGH, latching: true },
      ops: [[0, 90], [1, 70], [2, 'ack']],
      expect: ['raise:unacked', 'latch:unacked', 'ack:normal'],
    },
    {
      name: 'latching: acked alarm needs a reset after clear',
      rule: { ...HIGH, latching: true },
      ops: [[0, 90], [1, 'ack'], [2, 70], [3, 'ack']],
      expect: ['raise:unacked', 'ack:acked', 'latch:acked', 'ack:normal'],
    },
  ];
  it.each(table)('$name', ({ ops, expect: want, rule }) => {
    expect(run(ops, rule).out).toEqual(want);
  });

  it('shelve requires a comment and reports errors instead of throwing', () => {
    const h = harness([HIGH], PTS);
    const r = h.engine.shelve(h.state, ID, 'op1', '  ', 10, at(0));
    expect(r).toMatchObject({ ok: false, error: expect.stringContaining('comment') });
    expect(h.engine.ack(h.state, 'nope', 'op1', undefined, at(0))).toMatchObject({ ok: false, error: 'unknown alarm nope' });
  });

  it('events carry ids, user, comment, priority and value', () => {
    const { h } = run([[0, 90], [1, 'ack']]);
    const [raise, ack] = h.state.seq === 2 ? [1, 2] : [0, 0];
    expect(raise).toBe(1);
    expect(ack).toBe(2);
    const r = h.engine.ack(h.state, ID, 'op2', 'x', at(3));
    expect(r.ok).toBe(false);
  });

  it('event payload', () => {
    const h = harness([{ ...HIGH, class: 'over_temp', message: 'too hot' }], PTS);
    const [ev] = h.feed(series('hs-1.plc.t', '90'));
    expect(ev).toEqual({
      id: 1,
      alarmId: ID,
      ruleId: '*.plc.t:h',
      station: 'hs-1',
      device: 'plc',
      point: 'hs-1.plc.t',
      ts: T0,
      type: 'raise',
      from: 'normal',
      to: 'unacked',
      priority: 2,
      value: 90,
      message: 'too hot',
      class: 'over_temp',
    });
    const a = h.engine.ack(h.state, ID, 'op1', 'on it', T0 + 1);
    expect(a.events[0]).toMatchObject({ id: 2, type: 'ack', user: 'op1', comment: 'on it' });
  });

  it('JSON round-trip mid-alarm continues without re-raising', () => {
    const rule: AlarmRuleConfig = { ...HIGH, onDelayS: 5 };
    const h = harness([rule], PTS);
    h.feed(series('hs-1.plc.t', '90x3'));
    const copy = JSON.parse(JSON.stringify(h.state));
    expect(copy).toEqual({ ...h.state, points: h.state.points.toJSON(), alarms: h.state.alarms.toJSON() });
    h.state = copy;
    h.feed(series('hs-1.plc.t', '90x10', 1000, T0 + 3000));
    expect(h.events.filter((e) => e.type === 'raise')).toHaveLength(1);
    const restored = JSON.parse(JSON.stringify(h.state));
    h.state = h.engine.adopt(restored);
    h.feed(series('hs-1.plc.t', '90x200', 1000, T0 + 600_000));
    expect(h.events.filter((e) => e.type === 'raise')).toHaveLength(1);
    expect(h.st(ID)).toBe('unacked');
    expect(h.state.seq).toBe(1);
  });
});
