/**
 * Property tests of alarm expressions (src/alarms/expr.ts) and of rules using them
 * (compileRules, the engine). Rule files come from outside, so any text must end in an AST or
 * an ExprError / a rule problem, never another exception or a hang; a valid expression must
 * evaluate to a number (NaN = unknown) whatever the point values, the same in both evaluators.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileExpr, ExprError, identifiers, parseExpr, type BinOp, type ExprAst } from '../../src/alarms/expr.ts';
import { Programs } from '../../src/alarms/program.ts';
import { compileRules, createEngine, type AlarmRuleConfig } from '../../src/alarms/index.ts';
import type { SampleValue } from '../../src/model.ts';
import { slotColumns } from '../alarms/helpers.ts';
import { SEED } from './seed.ts';

const POINTS = ['a', 'b', 'c', 'pump_run'];
const IDS = [...POINTS, ...POINTS.map((p) => `plc.${p}`)];
const OPS: BinOp[] = ['+', '-', '*', '/', '<', '<=', '>', '>=', '==', '!=', '&&', '||'];

/** Small ASTs of every node kind (ids without positions: the parser adds them). */
const astArb: fc.Arbitrary<ExprAst> = fc.letrec<{ e: ExprAst }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', maxDepth: 6 },
    fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.double({ min: 0, max: 1e12, noNaN: true })).map((v) => ({ k: 'num' as const, v: v + 0 })),
    fc.constantFrom(...IDS).map((name) => ({ k: 'id' as const, name, pos: 0 })),
    tie('e').map((a) => ({ k: 'not' as const, a })),
    tie('e').map((a) => ({ k: 'neg' as const, a })),
    fc.record({ k: fc.constant('bin' as const), op: fc.constantFrom(...OPS), a: tie('e'), b: tie('e') }),
  ),
})).e;

/** Prints an AST with every operation in parentheses, so parsing it back must give the same tree. */
function print(n: ExprAst): string {
  switch (n.k) {
    case 'num':
      return String(n.v);
    case 'id':
      return n.name;
    case 'not':
      return `!${print(n.a)}`;
    case 'neg':
      return `-${print(n.a)}`;
    case 'bin':
      return `(${print(n.a)} ${n.op} ${print(n.b)})`;
  }
}

const noPos = (n: ExprAst): unknown => JSON.parse(JSON.stringify(n, (k, v) => (k === 'pos' ? undefined : v)));

/** Characters an expression is made of, with the ones it must refuse. */
const exprChar = fc.constantFrom(...'ab_.019 eE+-*/<>=!&|()\t\n'.split(''), '@', '"', '\u00a0', '\u0000', '٣', '"', '[', '$');

/** Texts that push the parser's limits: deep nesting, long chains, long identifiers. */
const extremeArb = fc.record({ n: fc.integer({ min: 1, max: 50_000 }), kind: fc.constantFrom('parens', 'nots', 'negs', 'chain', 'rightChain', 'ident', 'number') }).map(({ n, kind }) => {
  switch (kind) {
    case 'parens':
      return '('.repeat(n) + 'a' + ')'.repeat(n);
    case 'nots':
      return '!'.repeat(n) + 'a';
    case 'negs':
      return '-'.repeat(n) + '1';
    case 'chain':
      return 'a' + ' + a'.repeat(n);
    case 'rightChain':
      return 'a && (b || '.repeat(n) + 'c' + ')'.repeat(n);
    case 'ident':
      return 'a'.repeat(n);
    default:
      return '9'.repeat(n);
  }
});

/** A valid expression with a few characters deleted, inserted or duplicated. */
const nearValidArb = fc
  .tuple(
    astArb.map(print),
    fc.array(fc.record({ at: fc.nat(), op: fc.constantFrom('delete', 'insert', 'duplicate'), ch: exprChar, len: fc.integer({ min: 1, max: 6 }) }), { minLength: 1, maxLength: 4 }),
  )
  .map(([src, edits]) => {
    let s = src;
    for (const e of edits) {
      const at = s.length ? e.at % s.length : 0;
      if (e.op === 'delete') s = s.slice(0, at) + s.slice(at + e.len);
      else if (e.op === 'insert') s = s.slice(0, at) + e.ch + s.slice(at);
      else s = s.slice(0, at) + s.slice(at, at + e.len) + s.slice(at);
    }
    return s;
  });

const anyText = fc.oneof(fc.string({ unit: exprChar, maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 }), nearValidArb, extremeArb);

/** parseExpr's contract: an AST or an ExprError with a position; the AST compiles in both evaluators. */
function checkParse(src: string): ExprAst | ExprError {
  let ast: ExprAst;
  try {
    ast = parseExpr(src);
  } catch (e) {
    if (!(e instanceof ExprError)) throw new Error(`parseExpr threw ${String(e)} on ${JSON.stringify(src.slice(0, 80))}`);
    expect(e.pos).toBeGreaterThanOrEqual(1);
    expect(e.pos).toBeLessThanOrEqual(src.length + 1);
    return e;
  }
  const names = identifiers(ast);
  compileExpr(ast, (name) => names.indexOf(name));
  new Programs().template(ast);
  return ast;
}

const points = POINTS.map((point) => ({ station: 'fz', device: 'plc', point, pollMs: 1000 }));
const rule = (expr: string): AlarmRuleConfig => ({ id: 'x', point: 'fz.plc.a', type: 'expression', priority: 2, expr });

/** A point value as a sample carries it: numbers of every kind, booleans and null (bad data). */
const sampleValue: fc.Arbitrary<SampleValue> = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, 0, -0), fc.boolean(), fc.constant(null));
/** The slot the engine makes of a sample value (engine.ts: non-finite numbers and null are unknown). */
const slotOf = (v: SampleValue): { v: number; ok: boolean } =>
  typeof v === 'number' ? { v, ok: Number.isFinite(v) } : typeof v === 'boolean' ? { v: v ? 1 : 0, ok: true } : { v: 0, ok: false };

describe('alarm expressions under fuzzing', () => {
  it('any text parses to an AST or an ExprError, never another exception', () => {
    fc.assert(
      fc.property(anyText, (src) => void checkParse(src)),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it('a rule with any expression compiles to alarms or problems named by path, never throws', () => {
    fc.assert(
      fc.property(anyText, (src) => {
        const c = compileRules([rule(src)], points);
        const parsed = checkParse(src);
        if (parsed instanceof ExprError) {
          expect(c.alarms).toEqual([]);
          expect(c.errors.map((e) => e.path)).toContain('alarms[0].expr');
        }
        for (const p of [...c.errors, ...c.warnings]) expect(p.path).toMatch(/^alarms\[0\]/);
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it('a generated expression prints and parses back to itself', () => {
    fc.assert(
      fc.property(astArb, (ast) => {
        expect(noPos(parseExpr(print(ast)))).toEqual(noPos(ast));
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it('a valid expression evaluates to a number over any point values, the same in both evaluators', () => {
    fc.assert(
      fc.property(astArb, fc.array(sampleValue, { minLength: IDS.length, maxLength: IDS.length }), fc.boolean(), (ast, values, raw) => {
        const names = identifiers(ast);
        // raw: slots marked good whatever they hold (NaN, ±Infinity), beyond what the engine makes
        const slots = slotColumns(
          names.map((n) => {
            const v = values[IDS.indexOf(n)];
            return raw ? { v: typeof v === 'number' ? v : v === null ? NaN : Number(v), ok: true } : slotOf(v);
          }),
        );
        const closure = compileExpr(ast, (n) => names.indexOf(n))(slots);
        const ps = new Programs();
        const [start, end] = ps.add(ast, (n) => names.indexOf(n));
        const program = ps.value(start, end, slots);
        expect(typeof closure).toBe('number');
        expect(Object.is(closure, program) || (Number.isNaN(closure) && Number.isNaN(program)), `${print(ast)}: ${closure} vs ${program}`).toBe(true);
        expect([-1, 0, 1]).toContain(ps.truth(start, end, slots));
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('the engine runs a rule with a valid expression over any samples without throwing', () => {
    fc.assert(
      fc.property(
        astArb,
        fc.array(fc.record({ point: fc.constantFrom(...POINTS), value: sampleValue, dt: fc.integer({ min: 0, max: 120_000 }) }), { maxLength: 30 }),
        (ast, feed) => {
          const c = compileRules([rule(print(ast))], points);
          expect(c.errors).toEqual([]);
          const engine = createEngine(c);
          let state = engine.init();
          let now = 1_700_000_000_000;
          for (const f of feed) {
            now += f.dt;
            const quality = f.value === null ? 'bad' : 'good';
            state = engine.step(state, { point: `fz.plc.${f.point}`, ts: now, value: f.value, quality }, now).state;
            state = engine.tick(state, now).state;
          }
          for (const a of state.alarms.toJSON()) expect(typeof a.st).toBe('string');
        },
      ),
      { seed: SEED, numRuns: 500 },
    );
  });
});
