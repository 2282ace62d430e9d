/**
 * Alarm expressions compiled to a flat postfix program, for the engine's hot
 * path. Same semantics as `compileExpr` (NaN = unknown, Kleene `&&`/`||`,
 * non-finite division is unknown) but evaluated by one loop over typed arrays:
 * no closure calls and no boxed numbers, so evaluation never allocates.
 *
 * Many programs share one `Programs` set; a program is the range
 * `[start, end)` of its code. A program from `template` is shared by every
 * alarm instance of one expression: its identifiers are indexes into a
 * binding (the instance's point slots, `binds[base + i]`), so only the
 * binding is per instance.
 *
 * @example
 * ```ts
 * const ps = new Programs();
 * const [start, end] = ps.add(parseExpr('plc.a > 2 * plc.b'), resolve);
 * ps.truth(start, end, state.points); // 1, 0 or -1 (unknown)
 * const t = ps.template(parseExpr('plc.a > 2 * plc.b')); // t.names: ['plc.a', 'plc.b']
 * ps.truthBound(t.start, t.end, state.points, binds, base); // reads slots binds[base], binds[base + 1]
 * ```
 */
import { identifiers, type BinOp, type ExprAst, type NumericSlots } from './expr.ts';

const NUM = 0;
const ID = 1;
const NOT = 2;
const NEG = 3;
const ADD = 4;
const SUB = 5;
const MUL = 6;
const DIV = 7;
const LT = 8;
const LE = 9;
const GT = 10;
const GE = 11;
const EQ = 12;
const NE = 13;
const AND = 14;
const OR = 15;
/** identifier bound per instance: arg = index into the instance's binding */
const BID = 16;

const NO_BINDS = new Int32Array(0);

/** A program shared by instances: `names[i]` is read from `binds[base + i]`. */
export interface Template {
  start: number;
  end: number;
  names: string[];
}

const BIN: Record<BinOp, number> = {
  '+': ADD,
  '-': SUB,
  '*': MUL,
  '/': DIV,
  '<': LT,
  '<=': LE,
  '>': GT,
  '>=': GE,
  '==': EQ,
  '!=': NE,
  '&&': AND,
  '||': OR,
};

export class Programs {
  /** (op, arg) pairs */
  private codeList: number[] = [];
  private constList: number[] = [];
  private code = new Int32Array(0);
  private consts = new Float64Array(0);
  private stack = new Float64Array(8);
  /** programs were added since `code` and `consts` were last built */
  private dirty = false;

  /** Compiles `ast` (identifiers resolved to slot indexes) and returns its `[start, end)` range. */
  add(ast: ExprAst, resolve: (name: string) => number): [number, number] {
    const [start, end] = this.emit(ast, (name) => [ID, resolve(name)]);
    return [start, end];
  }

  /** Compiles `ast` once for every binding of its identifiers (see `truthBound`). */
  template(ast: ExprAst): Template {
    const names = identifiers(ast);
    const [start, end] = this.emit(ast, (name) => [BID, names.indexOf(name)]);
    return { start, end, names };
  }

  private emit(ast: ExprAst, id: (name: string) => [number, number]): [number, number] {
    // the lists are released once the typed arrays are built; adding again restores them
    if (this.codeList.length === 0 && this.code.length > 0) {
      this.codeList = Array.from(this.code);
      this.constList = Array.from(this.consts);
    }
    const start = this.codeList.length;
    let depth = 0;
    let max = 0;
    const emit = (op: number, arg: number, delta: number) => {
      this.codeList.push(op, arg);
      depth += delta;
      if (depth > max) max = depth;
    };
    const walk = (n: ExprAst): void => {
      switch (n.k) {
        case 'num':
          this.constList.push(n.v);
          return emit(NUM, this.constList.length - 1, 1);
        case 'id': {
          const [op, arg] = id(n.name);
          return emit(op, arg, 1);
        }
        case 'not':
        case 'neg':
          walk(n.a);
          return emit(n.k === 'not' ? NOT : NEG, 0, 0);
        case 'bin':
          walk(n.a);
          walk(n.b);
          return emit(BIN[n.op], 0, -1);
      }
    };
    walk(ast);
    this.dirty = true;
    if (max > this.stack.length) this.stack = new Float64Array(max);
    return [start, this.codeList.length];
  }

  /** Builds the typed arrays now and drops the lists they were built from. */
  seal(): void {
    if (!this.dirty) return;
    this.code = Int32Array.from(this.codeList);
    this.consts = Float64Array.from(this.constList);
    this.codeList = [];
    this.constList = [];
    this.dirty = false;
  }

  /** The value of a program (NaN = unknown), as `compileExpr` would compute it. */
  value(start: number, end: number, slots: NumericSlots, binds: Int32Array = NO_BINDS, base = 0): number {
    this.run(start, end, slots, binds, base);
    return this.stack[0];
  }

  /** 1 when the value is non-zero, 0 when zero, -1 when unknown. */
  truth(start: number, end: number, slots: NumericSlots): number {
    this.run(start, end, slots, NO_BINDS, 0);
    const r = this.stack[0];
    return r !== r ? -1 : r !== 0 ? 1 : 0;
  }

  /** `truth` of a template program with the binding at `binds[base ..]`. */
  truthBound(start: number, end: number, slots: NumericSlots, binds: Int32Array, base: number): number {
    this.run(start, end, slots, binds, base);
    const r = this.stack[0];
    return r !== r ? -1 : r !== 0 ? 1 : 0;
  }

  /** Leaves the result in `stack[0]`. Both operands of `&&`/`||` are evaluated: they are pure. */
  private run(start: number, end: number, slots: NumericSlots, binds: Int32Array, base: number): void {
    if (this.dirty) this.seal();
    const code = this.code;
    const st = this.stack;
    const { ok, v } = slots;
    let sp = -1;
    for (let pc = start; pc < end; pc += 2) {
      const op = code[pc];
      if (op === BID) {
        const i = binds[base + code[pc + 1]];
        st[++sp] = ok[i] ? v[i] : NaN;
        continue;
      }
      if (op === ID) {
        const i = code[pc + 1];
        st[++sp] = ok[i] ? v[i] : NaN;
        continue;
      }
      if (op === NUM) {
        st[++sp] = this.consts[code[pc + 1]];
        continue;
      }
      if (op === NOT) {
        const x = st[sp];
        st[sp] = x !== x ? NaN : x === 0 ? 1 : 0;
        continue;
      }
      if (op === NEG) {
        st[sp] = -st[sp];
        continue;
      }
      const y = st[sp--];
      const x = st[sp];
      let r: number;
      switch (op) {
        case ADD:
          r = x + y;
          break;
        case SUB:
          r = x - y;
          break;
        case MUL:
          r = x * y;
          break;
        case DIV:
          r = x / y;
          if (r !== r || r === Infinity || r === -Infinity) r = NaN;
          break;
        case LT:
          r = x !== x || y !== y ? NaN : x < y ? 1 : 0;
          break;
        case LE:
          r = x !== x || y !== y ? NaN : x <= y ? 1 : 0;
          break;
        case GT:
          r = x !== x || y !== y ? NaN : x > y ? 1 : 0;
          break;
        case GE:
          r = x !== x || y !== y ? NaN : x >= y ? 1 : 0;
          break;
        case EQ:
          r = x !== x || y !== y ? NaN : x === y ? 1 : 0;
          break;
        case NE:
          r = x !== x || y !== y ? NaN : x !== y ? 1 : 0;
          break;
        case AND:
          r = x === 0 || y === 0 ? 0 : x !== x || y !== y ? NaN : 1;
          break;
        default: // OR
          r = (x === x && x !== 0) || (y === y && y !== 0) ? 1 : x !== x || y !== y ? NaN : 0;
      }
      st[sp] = r;
    }
  }
}
