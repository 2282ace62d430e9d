/**
 * A tiny safe expression language for alarm rules: point identifiers,
 * numbers, `true`/`false`, `+ - * /`, comparisons, `&& || !` and parentheses.
 * Tokenizer + Pratt parser to a plain AST, then compiled once into a closure
 * tree. No eval, no Function, no property access: an identifier can only name
 * a point, resolved by the caller.
 *
 * Values are numbers (bool → 1/0); NaN means "unknown" (bad or missing data)
 * and propagates with Kleene logic: `false && unknown` is false,
 * `true || unknown` is true, anything else involving unknown is unknown.
 *
 * @example
 * ```ts
 * const ast = parseExpr('plc.f_makeup > 0.02 * plc.f_sec'); // or ExprError
 * ```
 */

export type BinOp = '+' | '-' | '*' | '/' | '<' | '<=' | '>' | '>=' | '==' | '!=' | '&&' | '||';
export type ExprAst =
  | { k: 'num'; v: number }
  | { k: 'id'; name: string; pos: number }
  | { k: 'not'; a: ExprAst }
  | { k: 'neg'; a: ExprAst }
  | { k: 'bin'; op: BinOp; a: ExprAst; b: ExprAst };

export class ExprError extends Error {
  constructor(
    message: string,
    /** 1-based column */
    readonly pos: number,
  ) {
    super(`${message} at ${pos}`);
    this.name = 'ExprError';
  }
}

type Tok = { t: 'num'; v: number; pos: number } | { t: 'id'; v: string; pos: number } | { t: 'op'; v: string; pos: number } | { t: 'end'; v: ''; pos: number };

/**
 * The longest expression accepted, in tokens. Parsing, compiling and evaluating recurse once per
 * level of nesting, so an unbounded expression (`((((…` or `a + a + …` from a rule file) would
 * overflow the stack instead of being refused (found by tests/fuzz/alarm-expr.test.ts).
 */
export const MAX_TOKENS = 1000;

const OPS = ['&&', '||', '<=', '>=', '==', '!=', '<', '>', '+', '-', '*', '/', '!', '(', ')'];
const ID_RE = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*/y;
const NUM_RE = /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;

export function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i];
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
      continue;
    }
    if (out.length === MAX_TOKENS) throw new ExprError(`expression too long: more than ${MAX_TOKENS} tokens`, i + 1);
    NUM_RE.lastIndex = i;
    const num = NUM_RE.exec(src);
    if (num) {
      out.push({ t: 'num', v: Number(num[0]), pos: i + 1 });
      i += num[0].length;
      continue;
    }
    ID_RE.lastIndex = i;
    const id = ID_RE.exec(src);
    if (id) {
      out.push({ t: 'id', v: id[0], pos: i + 1 });
      i += id[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new ExprError(`unexpected character '${ch}'`, i + 1);
    out.push({ t: 'op', v: op, pos: i + 1 });
    i += op.length;
  }
  out.push({ t: 'end', v: '', pos: src.length + 1 });
  return out;
}

const BP: Record<string, number> = {
  '||': 1,
  '&&': 2,
  '==': 3,
  '!=': 3,
  '<': 4,
  '<=': 4,
  '>': 4,
  '>=': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
};
const PREFIX_BP = 7;

/** Parses an expression; throws ExprError (`unexpected token ')' at 12`). */
export function parseExpr(src: string): ExprAst {
  const toks = tokenize(src);
  let i = 0;
  const desc = (t: Tok) => (t.t === 'end' ? 'end of expression' : `token '${t.v}'`);
  const parse = (minBp: number): ExprAst => {
    const t = toks[i++];
    let left: ExprAst;
    if (t.t === 'num') left = { k: 'num', v: t.v };
    else if (t.t === 'id') {
      if (t.v === 'true' || t.v === 'false') left = { k: 'num', v: t.v === 'true' ? 1 : 0 };
      else left = { k: 'id', name: t.v, pos: t.pos };
    } else if (t.t === 'op' && t.v === '(') {
      left = parse(0);
      const close = toks[i++];
      if (close.t !== 'op' || close.v !== ')') throw new ExprError(`expected ')' but got ${desc(close)}`, close.pos);
    } else if (t.t === 'op' && t.v === '!') left = { k: 'not', a: parse(PREFIX_BP) };
    else if (t.t === 'op' && t.v === '-') left = { k: 'neg', a: parse(PREFIX_BP) };
    else throw new ExprError(`unexpected ${desc(t)}`, t.pos);
    for (;;) {
      const op = toks[i];
      if (op.t !== 'op') {
        if (op.t === 'end') return left;
        throw new ExprError(`unexpected ${desc(op)}`, op.pos);
      }
      const bp = BP[op.v];
      if (bp === undefined) {
        if (op.v === ')') return left;
        throw new ExprError(`unexpected ${desc(op)}`, op.pos);
      }
      if (bp <= minBp) return left;
      i++;
      left = { k: 'bin', op: op.v as BinOp, a: left, b: parse(bp) };
    }
  };
  const ast = parse(0);
  const rest = toks[i];
  if (rest.t !== 'end') throw new ExprError(`unexpected ${desc(rest)}`, rest.pos);
  return ast;
}

/** Identifiers an AST reads, in order of first use. */
export function identifiers(ast: ExprAst, out: string[] = []): string[] {
  if (ast.k === 'id') {
    if (!out.includes(ast.name)) out.push(ast.name);
  } else if (ast.k === 'not' || ast.k === 'neg') identifiers(ast.a, out);
  else if (ast.k === 'bin') {
    identifiers(ast.a, out);
    identifiers(ast.b, out);
  }
  return out;
}

/** What a compiled expression reads, slot by slot (columns, like the engine's `PointStates`): `ok[i]` 0 means unknown. */
export interface NumericSlots {
  readonly ok: ArrayLike<number>;
  readonly v: ArrayLike<number>;
}
export type Evaluator = (slots: NumericSlots) => number;

/**
 * Compiles an AST into a closure tree. `resolve` maps an identifier to a slot
 * index; the closure reads `slots[index]`. Returns NaN for unknown.
 */
export function compileExpr(ast: ExprAst, resolve: (name: string) => number): Evaluator {
  switch (ast.k) {
    case 'num': {
      const c = ast.v;
      return () => c;
    }
    case 'id': {
      const ix = resolve(ast.name);
      return (s) => (s.ok[ix] ? s.v[ix] : NaN);
    }
    case 'not': {
      const a = compileExpr(ast.a, resolve);
      return (s) => {
        const x = a(s);
        return x !== x ? NaN : x === 0 ? 1 : 0;
      };
    }
    case 'neg': {
      const a = compileExpr(ast.a, resolve);
      return (s) => -a(s);
    }
    case 'bin':
      return binary(ast.op, compileExpr(ast.a, resolve), compileExpr(ast.b, resolve));
  }
}

function binary(op: BinOp, a: Evaluator, b: Evaluator): Evaluator {
  const fin = (r: number) => (r === r && r !== Infinity && r !== -Infinity ? r : NaN);
  const cmp = (x: number, y: number, r: boolean) => (x !== x || y !== y ? NaN : r ? 1 : 0);
  switch (op) {
    case '+':
      return (s) => a(s) + b(s);
    case '-':
      return (s) => a(s) - b(s);
    case '*':
      return (s) => a(s) * b(s);
    case '/':
      return (s) => fin(a(s) / b(s));
    case '<':
      return (s) => { const x = a(s), y = b(s); return cmp(x, y, x < y); };
    case '<=':
      return (s) => { const x = a(s), y = b(s); return cmp(x, y, x <= y); };
    case '>':
      return (s) => { const x = a(s), y = b(s); return cmp(x, y, x > y); };
    case '>=':
      return (s) => { const x = a(s), y = b(s); return cmp(x, y, x >= y); };
    case '==':
      return (s) => { const x = a(s), y = b(s); return cmp(x, y, x === y); };
    case '!=':
      return (s) => { const x = a(s), y = b(s); return cmp(x, y, x !== y); };
    case '&&':
      return (s) => {
        const x = a(s);
        if (x === 0) return 0;
        const y = b(s);
        if (y === 0) return 0;
        return x !== x || y !== y ? NaN : 1;
      };
    case '||':
      return (s) => {
        const x = a(s);
        if (x === x && x !== 0) return 1;
        const y = b(s);
        if (y === y && y !== 0) return 1;
        return x !== x || y !== y ? NaN : 0;
      };
  }
}
