/**
 * Property tests of config files: any text, and the example config mutated (keys dropped,
 * types changed, unknown and prototype keys, huge numbers, long strings, deep nesting), must
 * load or fail with a ConfigError listing its problems, never another exception.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDocument, stringify } from 'yaml';
import { ConfigError, parseConfigText } from '../../src/config/load.ts';
import { SEED } from './seed.ts';

const EXAMPLE = readFileSync(new URL('../../config/heatwatch.example.yaml', import.meta.url), 'utf8');
const BASE = parseDocument(EXAMPLE).toJS() as Record<string, unknown>;

/** The loader's contract: a config, or a ConfigError whose problems each name a path and a reason. */
function load(text: string): void {
  try {
    parseConfigText(text, 'fuzz.yaml');
  } catch (err) {
    if (!(err instanceof ConfigError)) throw new Error(`not a ConfigError: ${String(err)}\n--- text (start) ---\n${text.slice(0, 400)}`);
    expect(err.problems.length).toBeGreaterThan(0);
    for (const p of err.problems) {
      expect(typeof p.path).toBe('string');
      expect(typeof p.message).toBe('string');
      expect(p.message.length).toBeGreaterThan(0);
    }
  }
}

type Path = Array<string | number>;

/** Every path to a value in `v`, root excluded. */
function paths(v: unknown, at: Path = [], out: Path[] = []): Path[] {
  if (Array.isArray(v)) v.forEach((x, i) => (out.push([...at, i]), paths(x, [...at, i], out)));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push([...at, k]), paths(x, [...at, k], out);
  return out;
}

const nested = (depth: number, leaf: unknown, asArray: boolean): unknown => {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = asArray ? [v] : { a: v };
  return v;
};

const someValue = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 20 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
);
const hugeNumber = fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 31, -(2 ** 31) - 1, 1e21, Infinity, -Infinity, NaN, 0.5, -1, 0);
const longString = fc.record({ n: fc.integer({ min: 1_000, max: 50_000 }), s: fc.constantFrom('x', '换热站', ' ', '\n', '\u0000', '{', '${HOME}') }).map(({ n, s }) => s.repeat(Math.ceil(n / s.length)));

const mutation = fc.oneof(
  fc.record({ op: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.oneof(someValue, hugeNumber, longString) }),
  fc.record({ op: fc.constant('unknownKey' as const), at: fc.nat(), key: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty')), value: someValue }),
  // below the ~900 levels where the YAML parser (and writer) overflow their stack: past them a
  // second deep parse in one process can abort V8 itself (see the exhaustion test below)
  fc.record({ op: fc.constant('deep' as const), at: fc.nat(), depth: fc.integer({ min: 10, max: 400 }), asArray: fc.boolean() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

/** A copy of `base` with the mutations applied, each at a path picked among the current ones. */
function mutate(base: unknown, ms: Mutation[]): unknown {
  const doc = structuredClone(base) as Record<string, unknown>;
  for (const m of ms) {
    const all = paths(doc);
    if (all.length === 0) break;
    const path = all[m.at % all.length];
    const parent = path.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], doc) as Record<string | number, unknown>;
    const key = path[path.length - 1];
    if (m.op === 'drop') {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
    } else if (m.op === 'set') parent[key] = m.value;
    else if (m.op === 'deep') parent[key] = nested(m.depth, parent[key] ?? 1, m.asArray);
    else {
      const target = parent[key];
      // an own property even for __proto__, as a parsed document would have
      if (target && typeof target === 'object' && !Array.isArray(target)) Object.defineProperty(target, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
    }
  }
  return doc;
}

/** YAML text of a document; JSON (also YAML) when it is nested too deep for the YAML writer. */
function toText(doc: unknown): string {
  try {
    return stringify(doc, { aliasDuplicateObjects: false, lineWidth: 0 });
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    return JSON.stringify(doc);
  }
}

/** Text that looks a little like YAML: its punctuation, indentation and keys of the config. */
const yamlChar = fc.constantFrom(...' \n\n  -:,[]{}#&*!|>\'"%@`?<=~.0123456789abcdeklmnopstxyz'.split(''), 'stations', 'devices', 'points', 'id', 'type', 'endpoint', '换', '\t', '\u0000');
const exampleLines = EXAMPLE.split('\n');

describe('config files under fuzzing', () => {
  it('the example config loads or gives a ConfigError', () => load(EXAMPLE));

  it('any YAML-ish text loads or gives a ConfigError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: yamlChar, maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 })), (text) => load(text)),
      { seed: SEED, numRuns: 1500 },
    );
  });

  it('the example with lines dropped, repeated or reordered loads or gives a ConfigError', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: exampleLines.length - 1 }), { minLength: 1, maxLength: 120 }), (idx) => load(idx.map((i) => exampleLines[i]).join('\n'))),
      { seed: SEED, numRuns: 40 },
    );
  });

  it('the example mutated as a document loads or gives a ConfigError', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (ms) => {
        const doc = mutate(BASE, ms);
        load(toText(doc));
      }),
      { seed: SEED, numRuns: 40 },
    );
  }, 60_000);

  it('YAML built to exhaust the parser gives a ConfigError', () => {
    // nested aliases: each level multiplies the expanded size (a "billion laughs" document)
    const bomb = (levels: number, width: number) =>
      'l0: &l0 [' + Array(width).fill('x').join(',') + ']\n' +
      Array.from({ length: levels }, (_, i) => `l${i + 1}: &l${i + 1} [${Array(width).fill(`*l${i}`).join(',')}]`).join('\n') + '\n';
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({ levels: fc.integer({ min: 1, max: 8 }), width: fc.integer({ min: 2, max: 12 }) }).map(({ levels, width }) => bomb(levels, width)),
          fc.integer({ min: 100, max: 400 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
          fc.integer({ min: 100, max: 400 }).map((n) => Array.from({ length: n }, (_, i) => ' '.repeat(i) + 'a:').join('\n')),
          fc.constantFrom('site: !!binary aGVsbG8=\n', 'site: !!js/function "() => 1"\n', 'x: &x { name: a }\nsite: { <<: *x }\n', '__proto__: { polluted: 1 }\n', 'a: *nowhere\n', '%YAML 9.9\n---\na: 1\n', '--- 1\n--- 2\n'),
        ),
        (text) => {
          load(text);
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        },
      ),
      { seed: SEED, numRuns: 60 },
    );
  });
});
