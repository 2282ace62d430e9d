/**
 * The engine's fast path: expression programs, the point lookup that guesses
 * the next point, the per-outdoor-point curve cache and the rate-of-change
 * ring (typed parameters) must give exactly what the straightforward versions give.
 */
import { describe, expect, it } from 'vitest';
import type { AlarmRuleConfig } from '../../src/alarms/index.ts';
import { compileExpr, parseExpr } from '../../src/alarms/expr.ts';
import { Programs } from '../../src/alarms/program.ts';
import type { Sample } from '../../src/model.ts';
import { harness, pointsOf, slotColumns, T0, types } from './helpers.ts';

describe('expression programs', () => {
  const exprs = [
    'a + b * c - -a',
    'a / b',
    'a / (b - b)',
    '!a || b && c',
    'a < b && (b <= c || c != a)',
    'a == b || !(a >= c) && b > 0.5',
    '(a || b) && !c && !(a && b)',
    '-a * 2 > b / 4',
  ];
  const values = [null, 0, 1, -1, 2.5, 0.5];
  it.each(exprs)('%s agrees with compileExpr for every input', (src) => {
    const ps = new Programs();
    const ast = parseExpr(src);
    const resolve = (n: string) => 'abc'.indexOf(n);
    const [start, end] = ps.add(ast, resolve);
    const f = compileExpr(ast, resolve);
    for (const a of values) for (const b of values) for (const c of values) {
      const slots = slotColumns([a, b, c].map((v) => ({ v: v ?? 0, ok: v !== null })));
      const want = f(slots);
      expect(ps.value(start, end, slots)).toBe(want);
      expect(ps.truth(start, end, slots)).toBe(want !== want ? -1 : want !== 0 ? 1 : 0);
    }
  });

  it.each(exprs)('%s as a template agrees with compileExpr under two bindings', (src) => {
    const ps = new Programs();
    const ast = parseExpr(src);
    ps.add(parseExpr('a + 1'), () => 0); // programs share one code array
    const t = ps.template(ast);
    expect(t.names).toEqual(['a', 'b', 'c'].filter((n) => src.includes(n)).sort((x, y) => src.indexOf(x) - src.indexOf(y)));
    // slots: a b c at 0..2 and again reversed at 3..5; binding 2 reads the second set
    const binds = Int32Array.from([99, ...t.names.map((n) => 'abc'.indexOf(n)), ...t.names.map((n) => 5 - 'abc'.indexOf(n))]);
    for (const a of values) for (const b of values) for (const c of values) {
      const slot = (v: number | null) => ({ v: v ?? 0, ok: v !== null });
      const slots = slotColumns([a, b, c, c, b, a].map(slot));
      const want = compileExpr(ast, (n) => 'abc'.indexOf(n))(slots);
      const truth = want !== want ? -1 : want !== 0 ? 1 : 0;
      expect(ps.truthBound(t.start, t.end, slots, binds, 1)).toBe(truth);
      expect(ps.truthBound(t.start, t.end, slots, binds, 1 + t.names.length)).toBe(truth);
      expect(ps.value(t.start, t.end, slots, binds, 1)).toBe(want);
    }
  });
});

describe('engine fast path', () => {
  it('finds points in any order and ignores unknown ones', () => {
    const pts = [...pointsOf('hs-1', 'plc', ['a', 'b', 'c']), ...pointsOf('hs-2', 'plc', ['a', 'b', 'c'])];
    const h = harness([{ point: '*.plc.*', type: 'high', limit: 10, priority: 3 }], pts);
    const s = (point: string, value: number, ts: number): Sample => ({ point, ts, value, quality: 'good' });
    const got = h.feed([
      s('hs-2.plc.c', 11, T0),
      s('hs-9.plc.a', 99, T0 + 1),
      s('hs-1.plc.a', 11, T0 + 2),
      s('hs-1.plc.c', 1, T0 + 3),
      s('hs-1.plc.b', 11, T0 + 4),
      s(['hs-2', 'plc', 'a'].join('.'), 11, T0 + 5),
    ]);
    expect(got.map((e) => `${e.point}:${e.type}`)).toEqual(['hs-2.plc.c:raise', 'hs-1.plc.a:raise', 'hs-1.plc.b:raise', 'hs-2.plc.a:raise']);
  });

  it('caches the weather curve per outdoor point: stations with the same curve keep their own outdoor value', () => {
    const curve: Array<[number, number]> = [[-20, 70], [0, 50]];
    const pts = [...pointsOf('hs-1', 'plc', ['t', 'out'], 1000, curve), ...pointsOf('hs-2', 'plc', ['t', 'out'], 1000, curve)];
    const rule: AlarmRuleConfig = { point: '*.plc.t', type: 'deviation', reference: 'curve', outdoor: 'out', limit: 5, direction: 'above', priority: 2 };
    const h = harness([rule], pts);
    const s = (point: string, value: number, ts: number): Sample => ({ point, ts, value, quality: 'good' });
    // curve: −20 °C → 70, 0 °C → 50; 62 is 2 K above at −10 °C and 12 K above at 0 °C
    h.feed([s('hs-1.plc.out', -10, T0), s('hs-2.plc.out', 0, T0), s('hs-1.plc.t', 62, T0 + 1), s('hs-2.plc.t', 62, T0 + 1)]);
    expect([h.st('hs-1.plc.t:dev'), h.st('hs-2.plc.t:dev')]).toEqual(['normal', 'unacked']);
    h.feed([s('hs-1.plc.out', 0, T0 + 2), s('hs-1.plc.t', 62.5, T0 + 3)]);
    expect(h.st('hs-1.plc.t:dev')).toBe('unacked');
  });

  it('a rate-of-change alarm clears on ticks alone when its fall leaves the window, and a tick inside a bucket changes nothing', () => {
    // window 60 s: a ring of 20 buckets of 3 s. The value falls 10 → 8 at +30 s and then holds
    // (an unchanged value is not evaluated again), so only ticks see the 10s leave: the last
    // bucket holding 10 (+27 s) is reused by the one of +87 s, so the clear comes then.
    const rule: AlarmRuleConfig = { point: '*.plc.p', type: 'rateOfChange', direction: 'falling', rate: 1, windowS: 60, priority: 2 };
    const run = (tickEveryMs: number) => {
      const h = harness([rule], pointsOf('hs-1', 'plc', ['p']));
      const out: string[] = [];
      // buckets start at multiples of their width
      const base = Math.ceil(T0 / 60_000) * 60_000;
      for (let t = 0; t <= 120_000; t += tickEveryMs) {
        const at = base + t;
        const events = t % 10_000 === 0 ? h.feed([{ point: 'hs-1.plc.p', ts: at, value: t < 30_000 ? 10 : 8, quality: 'good' }], { tick: false }) : [];
        out.push(...types([...events, ...h.tick(at)]).map((e) => `${t}:${e}`));
      }
      return out;
    };
    expect(run(1000)).toEqual(['30000:raise:unacked', '87000:clear:rtn_unacked']);
    expect(run(250)).toEqual(run(1000));
  });

  it('rate of change over a fractional window continues exactly after a JSON copy of the state', () => {
    const rule: AlarmRuleConfig = { point: '*.plc.t', type: 'rateOfChange', direction: 'both', rate: 2, windowS: 7.3, priority: 3 };
    const values = [10, 10.5, 11, 11.8, 12.3, 12.9, 11, 10.2, 10, 10, 10, 13, 12.5, 12, 11, 10, 9, 9, 9, 9, 9, 9, 9, 9, 12.1];
    const run = (copyAt: number) => {
      const h = harness([rule], pointsOf('hs-1', 'plc', ['t']));
      const out: string[] = [];
      values.forEach((v, i) => {
        if (i === copyAt) h.state = JSON.parse(JSON.stringify(h.state));
        const ts = T0 + i * 730;
        out.push(...types(h.feed([{ point: 'hs-1.plc.t', ts, value: v, quality: 'good' }])).map((t) => `${i}:${t}`));
      });
      return out;
    };
    const plain = run(-1);
    expect(plain.length).toBeGreaterThan(2);
    for (const at of [3, 9, 17]) expect(run(at)).toEqual(plain);
  });
});
