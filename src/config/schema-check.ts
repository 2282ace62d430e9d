/**
 * Every schema problem of a config document in one pass, and the document with the failed parts
 * removed, so that the semantic checks still run on everything else (src/config/load.ts).
 *
 * - Each problem names its path, the bad value and what is allowed:
 *   `templates.t1.points[0].type: 'float33' is not one of bool, int16, …`.
 * - An unknown key gets "did you mean" when a known key is close, else the allowed keys.
 * - A union is reported for the branch the value was meant for (by JSON type, then by a
 *   matching constant such as `kind`, then by the fewest problems), not one line per branch.
 * - Removed: an unknown key, a bad optional value (its default applies), a bad array item. A bad
 *   required value removes its object, except at the root.
 *
 * It walks the JSON Schema subset TypeBox emits for the config (object, record, array, tuple,
 * anyOf, const, scalars); a failure it cannot explain gets TypeBox's own message.
 *
 * @example
 * ```ts
 * const r = checkSchema(Config, doc);
 * r.problems; // [{ path: 'stations[0].devices[0].pollMs', message: 'must be >= 100, got -5' }]
 * resolve(r.value); // the rest, schema-valid
 * ```
 */
import { Compile } from 'typebox/compile';
import Value from 'typebox/value';
import { closest } from './did-you-mean.ts';

export interface SchemaProblem {
  path: string;
  message: string;
}

export interface SchemaCheck {
  problems: SchemaProblem[];
  /** the document without its failed parts; undefined when the root is not an object */
  value: unknown;
  /** objects and arrays of `value` that lost a part other than an unknown key */
  partial: WeakSet<object>;
  /** for each array that lost items, by path: the original index of every kept item */
  indexMaps: Map<string, number[]>;
}

// a node of the JSON Schema subset the config uses; `any` because TypeBox types each keyword differently
type Schema = Record<string, any>;

/** a failed part, removed from the checked document */
const DROP = Symbol('drop');

/** Compiled validators per schema node: interpreting a large station's schema costs ms per call. */
const validators = new WeakMap<Schema, (v: unknown) => boolean>();
function valid(s: Schema, v: unknown): boolean {
  let check = validators.get(s);
  if (!check) {
    if (s.type === 'object' || s.type === 'array' || s.anyOf) {
      const c = Compile(s);
      check = (x) => c.Check(x);
    } else check = (x) => Value.Check(s, x);
    validators.set(s, check);
  }
  return check(v);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function hasType(type: unknown, v: unknown): boolean {
  switch (type) {
    case 'object':
      return isPlainObject(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'number':
      return Number.isFinite(v);
    case 'integer':
      return Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    default:
      return true;
  }
}

const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  null: 'null',
};
const typeWord = (s: Schema): string => ('const' in s ? show(s.const) : (TYPE_WORDS[s.type as string] ?? 'a value'));

/** A value as a message shows it: strings quoted and cut short, containers by kind. */
export function show(v: unknown): string {
  if (typeof v === 'string') return `'${v.length > 60 ? `${v.slice(0, 57)}…` : v}'`;
  if (Array.isArray(v)) return 'a list';
  if (isPlainObject(v)) return 'a mapping';
  return String(v);
}

/** `^(a|b|c)$` → [a, b, c]: a pattern that is a list of names, reported as such. */
function namesOf(pattern: string): string[] | null {
  const m = /^\^\(([\w-]+(?:\|[\w-]+)*)\)\$$/.exec(pattern);
  return m ? m[1].split('|') : null;
}

function oneOf(v: unknown, allowed: readonly string[]): string {
  const near = typeof v === 'string' ? closest(v, allowed) : undefined;
  return `${show(v)} is not one of ${allowed.join(', ')}${near ? ` (did you mean '${near}'?)` : ''}`;
}

const regexps = new Map<string, RegExp>();
function matches(pattern: string, v: string): boolean {
  let re = regexps.get(pattern);
  if (!re) regexps.set(pattern, (re = new RegExp(pattern, 'u')));
  return re.test(v);
}

/** Why a string or number fails its constraints, or null. */
function scalarProblem(s: Schema, v: unknown): string | null {
  if (typeof v === 'string') {
    if (s.minLength !== undefined && v.length < s.minLength) return s.minLength === 1 ? 'must not be empty' : `must be at least ${s.minLength} characters, got ${v.length}`;
    if (s.maxLength !== undefined && v.length > s.maxLength) return `must be at most ${s.maxLength} characters, got ${v.length}`;
    if (s.pattern !== undefined && !matches(s.pattern, v)) {
      const names = namesOf(s.pattern);
      return names ? oneOf(v, names) : `must match pattern ${s.pattern}, got ${show(v)}`;
    }
  }
  if (typeof v === 'number') {
    if (s.minimum !== undefined && v < s.minimum) return `must be >= ${s.minimum}, got ${v}`;
    if (s.maximum !== undefined && v > s.maximum) return `must be <= ${s.maximum}, got ${v}`;
    if (s.exclusiveMinimum !== undefined && v <= s.exclusiveMinimum) return `must be > ${s.exclusiveMinimum}, got ${v}`;
    if (s.exclusiveMaximum !== undefined && v >= s.exclusiveMaximum) return `must be < ${s.exclusiveMaximum}, got ${v}`;
    if (s.multipleOf !== undefined && v % s.multipleOf !== 0) return `must be a multiple of ${s.multipleOf}, got ${v}`;
  }
  return null;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
const count = (k: number) => `${k} item${k === 1 ? '' : 's'}`;

class Walker {
  problems: SchemaProblem[] = [];
  indexMaps = new Map<string, number[]>();
  constructor(readonly partial: WeakSet<object>) {}

  walk(s: Schema, v: unknown, path: string): unknown {
    if (valid(s, v)) return v;
    const before = this.problems.length;
    const out = this.explain(s, v, path);
    if (this.problems.length > before) return out;
    // a keyword this walker does not know: TypeBox's words, and the value cannot be used
    const e = Value.Errors(s, v)[0];
    this.problems.push({ path, message: e ? e.message : `invalid value ${show(v)}` });
    return DROP;
  }

  private fail(path: string, message: string): unknown {
    this.problems.push({ path, message });
    return DROP;
  }

  private explain(s: Schema, v: unknown, path: string): unknown {
    if (Array.isArray(s.anyOf)) return this.union(s, v, path);
    if ('const' in s) return this.fail(path, `must be ${show(s.const)}, got ${show(v)}`);
    if (!hasType(s.type, v)) {
      const integerOnly = s.type === 'integer' && Number.isFinite(v);
      return this.fail(path, `must be ${typeWord(s)}, got ${integerOnly ? String(v) : show(v)}`);
    }
    if (s.type === 'object') return this.object(s, v as Record<string, unknown>, path);
    if (s.type === 'array') return this.array(s, v as unknown[], path);
    const why = scalarProblem(s, v);
    return why ? this.fail(path, why) : v;
  }

  private union(s: Schema, v: unknown, path: string): unknown {
    const branches = s.anyOf as Schema[];
    const literals = branches.filter((b) => 'const' in b);
    const others = branches.filter((b) => !('const' in b));
    if (others.length === 0) return this.fail(path, oneOf(v, literals.map((b) => String(b.const))));
    const typed = others.filter((b) => b.anyOf || hasType(b.type, v));
    if (typed.length === 0) return this.fail(path, `must be ${branches.map(typeWord).join(' or ')}, got ${show(v)}`);
    if (typed.length === 1) return this.walk(typed[0], v, path);
    // several branches of the value's type (objects told apart by a key): the one whose
    // constants the value has (`kind: influxdb`), then the one with the fewest problems
    const constsMatch = (b: Schema) =>
      isPlainObject(v) && Object.entries((b.properties ?? {}) as Record<string, Schema>).every(([k, p]) => !('const' in p) || !(k in v) || v[k] === p.const);
    const candidates = typed.filter(constsMatch);
    let best: { w: Walker; out: unknown } | null = null;
    for (const b of candidates.length ? candidates : typed) {
      const w = new Walker(this.partial);
      const out = w.walk(b, v, path);
      if (!best || w.problems.length < best.w.problems.length) best = { w, out };
    }
    this.problems.push(...best!.w.problems);
    for (const [k, m] of best!.w.indexMaps) this.indexMaps.set(k, m);
    return best!.out;
  }

  private object(s: Schema, v: Record<string, unknown>, path: string): unknown {
    const props = (s.properties ?? {}) as Record<string, Schema>;
    const patterns = Object.entries((s.patternProperties ?? {}) as Record<string, Schema>);
    const required = new Set<string>(s.required ?? []);
    const out: Record<string, unknown> = {};
    let drop = false;
    let lost = false;
    for (const [key, x] of Object.entries(v)) {
      const p = join(path, key);
      let ks: Schema | undefined = Object.hasOwn(props, key) ? props[key] : patterns.find(([re]) => matches(re, key))?.[1];
      if (!ks && isPlainObject(s.additionalProperties)) ks = s.additionalProperties;
      if (!ks) {
        if (s.additionalProperties === false) this.unknownKey(key, p, Object.keys(props), patterns.map(([re]) => re));
        else out[key] = x;
        continue;
      }
      const r = this.walk(ks, x, p);
      if (r !== DROP) out[key] = r;
      else {
        lost = true;
        if (required.has(key)) drop = true;
      }
    }
    for (const key of required) {
      if (!Object.hasOwn(v, key)) {
        this.problems.push({ path: join(path, key), message: 'missing (required)' });
        drop = true;
      }
    }
    if (lost) this.partial.add(out);
    // the root stays, so that the checks of its other sections still run
    return drop && path !== '' ? DROP : out;
  }

  private unknownKey(key: string, path: string, known: string[], patterns: string[]): void {
    const names = patterns.flatMap((re) => namesOf(re) ?? []);
    if (known.length === 0 && patterns.length > 0 && names.length === 0) {
      this.problems.push({ path, message: `not a valid name: must match pattern ${patterns.join(' or ')}` });
      return;
    }
    const allowed = [...known, ...names];
    const near = closest(key, allowed);
    this.problems.push({ path, message: near ? `unknown key, did you mean '${near}'?` : `unknown key (allowed: ${allowed.join(', ')})` });
  }

  private array(s: Schema, v: unknown[], path: string): unknown {
    if (Array.isArray(s.items)) {
      // a tuple: its items are positional, so one bad item spoils it
      const items = s.items as Schema[];
      if (v.length !== items.length) return this.fail(path, `must be a list of ${items.length} (${items.map(typeWord).join(', ')}), got ${count(v.length)}`);
      const out = v.map((x, i) => this.walk(items[i], x, `${path}[${i}]`));
      return out.includes(DROP) ? DROP : out;
    }
    const out: unknown[] = [];
    const kept: number[] = [];
    v.forEach((x, i) => {
      const r = s.items ? this.walk(s.items, x, `${path}[${i}]`) : x;
      if (r === DROP) return;
      out.push(r);
      kept.push(i);
    });
    if (s.minItems !== undefined && v.length < s.minItems) this.problems.push({ path, message: `must have at least ${count(s.minItems)}, got ${v.length}` });
    if (s.maxItems !== undefined && v.length > s.maxItems) this.problems.push({ path, message: `must have at most ${count(s.maxItems)}, got ${v.length}` });
    if (kept.length < v.length) {
      this.partial.add(out);
      this.indexMaps.set(path, kept);
    }
    return out;
  }
}

/** Checks `doc` against `schema`: every problem, and what is left to check further. */
export function checkSchema(schema: Schema, doc: unknown): SchemaCheck {
  const w = new Walker(new WeakSet());
  const value = w.walk(schema, doc, '');
  return { problems: w.problems, value: value === DROP ? undefined : value, partial: w.partial, indexMaps: w.indexMaps };
}

/**
 * A path from the checks run on the pruned document, with array indices turned back into the
 * file's: `stations[2]` is `stations[3]` when the file's stations[1] failed the schema.
 */
export function originalPath(path: string, indexMaps: ReadonlyMap<string, readonly number[]>): string {
  if (indexMaps.size === 0) return path;
  let out = '';
  let last = 0;
  for (const m of path.matchAll(/\[(\d+)\]/g)) {
    out += path.slice(last, m.index);
    const i = Number(m[1]);
    out += `[${indexMaps.get(out)?.[i] ?? i}]`;
    last = m.index + m[0].length;
  }
  return out + path.slice(last);
}
