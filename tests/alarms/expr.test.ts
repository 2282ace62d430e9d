import { describe, expect, it } from 'vitest';
import { compileExpr, parseExpr } from '../../src/alarms/expr.ts';
import { slotColumns } from './helpers.ts';

function evaluate(src: string, vars: Record<string, number | null> = {}): number {
  const names = Object.keys(vars);
  const slots = slotColumns(names.map((n) => ({ v: vars[n] ?? 0, ok: vars[n] !== null })));
  return compileExpr(parseExpr(src), (n) => {
    const i = names.indexOf(n);
    if (i < 0) throw new Error(`unknown point ${n}`);
    return i;
  })(slots);
}

describe('expressions', () => {
  it.each([
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['10 - 4 - 3', 3],
    ['8 / 4 / 2', 1],
    ['-2 * 3', -6],
    ['!true || true', 1],
    ['1 < 2 && 2 < 1', 0],
    ['1 + 1 == 2', 1],
    ['true && false || true', 1],
    ['1 >= 1 && 2 <= 1 || !(3 != 3)', 1],
    ['1.5e1 > 14', 1],
  ])('%s = %d', (src, want) => expect(evaluate(src)).toBe(want));

  it('reads points and propagates unknown with Kleene logic', () => {
    expect(evaluate('plc.f_makeup > 0.02 * plc.f_sec', { 'plc.f_makeup': 3, 'plc.f_sec': 100 })).toBe(1);
    expect(evaluate('a > 1', { a: null })).toBeNaN();
    expect(evaluate('a > 1 && false', { a: null })).toBe(0);
    expect(evaluate('a > 1 || true', { a: null })).toBe(1);
    expect(evaluate('a / 0', { a: 1 })).toBeNaN();
  });

  it.each([
    ['plc.t > )', "unexpected token ')' at 9"],
    ['(a + b', "expected ')' but got end of expression at 7"],
    ['a b', "unexpected token 'b' at 3"],
    ['a = 1', "unexpected character '=' at 3"],
    ['', 'unexpected end of expression at 1'],
    ['a[0]', "unexpected character '[' at 2"],
    ['f(1)', "unexpected token '(' at 2"],
  ])('error: %s', (src, msg) => expect(() => parseExpr(src)).toThrow(msg));

  it('identifiers can only name points', () => {
    for (const src of ['constructor', '__proto__', 'process.exit', 'globalThis']) {
      expect(() => evaluate(src)).toThrow('unknown point');
    }
  });
});
