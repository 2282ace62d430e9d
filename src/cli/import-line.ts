/**
 * InfluxDB line protocol for `heatwatch import` / `export` (pure). Two layouts are read:
 * - per device poll (src/store/influx/schema.ts, the store's layout): `poll,station=S,device=D
 *   [,area=A] p1=1.5,p2=1 T`, one field per point (field key = point id), plus string fields
 *   `@bad` and `@uncertain` (comma-separated point ids read bad / uncertain; a bad point has no
 *   value field) and `@bool` (digital points: their 0/1 are read back as booleans);
 * - per point (heatwatch ≤ 0.x): `telemetry,station=S,device=D,point=P v=1.5,q=0i T`, fields
 *   `v` (number), `b` (boolean, digital points), `q` (0 good, 1 uncertain, 2 bad).
 * A line with a `point` tag is per point, any other per poll, whatever its measurement. Other
 * tags (area) are ignored. Timestamps: `--precision ns|us|ms|s`, or by default by their digit
 * count (the sample rule's years 2000–2099 need 18–19 digits in ns, 15–16 in us, 12–13 in ms,
 * 9–10 in s).
 */
import type { Quality, Sample } from '../model.ts';
import type { Parsed } from './import-csv.ts';

export type Precision = 'auto' | 'ns' | 'us' | 'ms' | 's';

/** the store's quality codes (src/store/influx/README.md), kept here so a layout change there cannot move them */
const QUALITIES: Quality[] = ['good', 'uncertain', 'bad'];

interface Line {
  measurement: string;
  tags: Map<string, string>;
  fields: Map<string, number | boolean | string>;
  ts: string;
}

const COMMA = 1;
const SPACE = 2;
const EQUALS = 4;

/** Reads up to an unescaped stop character (a mask of COMMA, SPACE, EQUALS); `\x` keeps x. */
function token(s: string, i: number, stops: number): [string, number] {
  // the common case has no backslash: one slice, no per-character concatenation
  for (let j = i; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 92) return escapedToken(s, i, stops);
    if ((c === 44 && stops & COMMA) || (c === 32 && stops & SPACE) || (c === 61 && stops & EQUALS)) return [s.slice(i, j), j];
  }
  return [s.slice(i), s.length];
}

function escapedToken(s: string, i: number, stops: number): [string, number] {
  let out = '';
  let j = i;
  for (; j < s.length; j++) {
    const ch = s[j];
    if (ch === '\\' && j + 1 < s.length) {
      out += s[++j];
      continue;
    }
    if ((ch === ',' && stops & COMMA) || (ch === ' ' && stops & SPACE) || (ch === '=' && stops & EQUALS)) break;
    out += ch;
  }
  return [out, j];
}

/** Splits a line into measurement, tags, fields and timestamp; throws with the reason. */
export function splitLine(s: string): Line {
  let [measurement, i] = token(s, 0, COMMA | SPACE);
  if (!measurement) throw new Error('no measurement');
  const tags = new Map<string, string>();
  while (s[i] === ',') {
    const [k, a] = token(s, i + 1, EQUALS | COMMA | SPACE);
    if (s[a] !== '=') throw new Error(`tag '${k}' has no value`);
    const [v, b] = token(s, a + 1, COMMA | SPACE);
    if (!k || !v) throw new Error('empty tag key or value');
    tags.set(k, v);
    i = b;
  }
  if (s[i] !== ' ') throw new Error('no fields');
  const fields = new Map<string, number | boolean | string>();
  do {
    const [k, a] = token(s, i + 1, EQUALS | COMMA | SPACE);
    if (!k || s[a] !== '=') throw new Error(`field '${k}' has no value`);
    let j = a + 1;
    if (s[j] === '"') {
      const close = s.indexOf('"', j + 1);
      if (close !== -1 && s.lastIndexOf('\\', close) <= j) {
        fields.set(k, s.slice(j + 1, close)); // no escapes: one slice
        j = close + 1;
      } else {
        let v = '';
        for (j++; j < s.length && s[j] !== '"'; j++) v += s[j] === '\\' && (s[j + 1] === '"' || s[j + 1] === '\\') ? s[++j] : s[j];
        if (s[j] !== '"') throw new Error(`field '${k}': unterminated string`);
        fields.set(k, v);
        j++;
      }
    } else {
      const [v, b] = token(s, j, COMMA | SPACE);
      fields.set(k, fieldValue(k, v));
      j = b;
    }
    i = j;
  } while (s[i] === ',');
  const ts = s.slice(i).trim();
  if (i < s.length && s[i] !== ' ') throw new Error('text after the fields');
  return { measurement, tags, fields, ts };
}

function fieldValue(k: string, v: string): number | boolean {
  if (/^[+-]?\d+[iu]$/.test(v)) return Number(v.slice(0, -1));
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(v)) return Number(v);
  if (/^(t|T|true|True|TRUE)$/.test(v)) return true;
  if (/^(f|F|false|False|FALSE)$/.test(v)) return false;
  throw new Error(`field '${k}': cannot read '${v}'`);
}

const SHIFT: Record<Exclude<Precision, 'auto'>, number> = { ns: 6, us: 3, ms: 0, s: -3 };

/** A line protocol timestamp → ms epoch (sub-ms digits dropped), or null. */
export function lineTs(text: string, precision: Precision): number | null {
  if (!/^-?\d+$/.test(text)) return null;
  const digits = text.replace('-', '').length;
  const p = precision !== 'auto' ? precision : digits >= 17 ? 'ns' : digits >= 14 ? 'us' : digits >= 11 ? 'ms' : 's';
  const shift = SHIFT[p];
  // ns epochs pass 2^53: cut digits as text instead of dividing a float
  if (shift > 0) return text.length - shift <= (text[0] === '-' ? 1 : 0) ? 0 : Number(text.slice(0, text.length - shift));
  return shift === 0 ? Number(text) : Number(text) * 1000;
}

/** The samples of one line (several for a per-poll line), or why the line cannot be read. */
export function parseLine(s: string, precision: Precision): Parsed[] {
  let l: Line;
  try {
    l = splitLine(s);
  } catch (err) {
    return [(err as Error).message];
  }
  if (!l.ts) return ['no timestamp (an import cannot take the server clock)'];
  const ts = lineTs(l.ts, precision);
  if (ts === null) return [`timestamp '${l.ts}' is not an integer`];
  const station = l.tags.get('station');
  const device = l.tags.get('device');
  if (!station || !device) return ['tags station and device are required'];
  const point = l.tags.get('point');
  if (point !== undefined) return [perPoint(`${station}.${device}.${point}`, ts, l.fields)];
  return perPoll(`${station}.${device}.`, ts, l.fields);
}

/** A string field of point ids, comma-separated (empty: none). */
function idList(f: Line['fields'], key: string): Set<string> | string {
  const v = f.get(key);
  if (v === undefined) return new Set();
  if (typeof v !== 'string') return `field ${key} must be a string of point ids`;
  return new Set(v ? v.split(',') : []);
}

function perPoll(prefix: string, ts: number, f: Line['fields']): Parsed[] {
  const bad = idList(f, '@bad');
  const uncertain = idList(f, '@uncertain');
  const bool = idList(f, '@bool');
  for (const l of [bad, uncertain, bool]) if (typeof l === 'string') return [l];
  const [B, U, D] = [bad, uncertain, bool] as Array<Set<string>>;
  const out: Parsed[] = [];
  for (const [k, v] of f) {
    if (k.startsWith('@')) continue;
    if (typeof v === 'string') out.push(`field '${k}': a string is not a sample value`);
    else if (B.has(k)) continue; // listed bad: its value, if any, is not a reading
    else out.push({ point: prefix + k, ts, value: D.has(k) && typeof v === 'number' ? v !== 0 : v, quality: U.has(k) ? 'uncertain' : 'good' });
  }
  for (const k of B) out.push({ point: prefix + k, ts, value: null, quality: 'bad' });
  return out.length ? out : ['no point fields'];
}

function perPoint(point: string, ts: number, f: Line['fields']): Parsed {
  const v = f.get('v');
  const b = f.get('b');
  const q = f.get('q') ?? 0;
  if (v === undefined && b === undefined && f.get('q') === undefined) return `no field v, b or q (fields: ${[...f.keys()].join(',')}); is this a rollup line?`;
  const quality = typeof q === 'number' ? QUALITIES[q] : undefined;
  if (!quality) return `field q must be 0, 1 or 2, got ${String(q)}`;
  if (quality === 'bad') return { point, ts, value: null, quality };
  if (typeof b === 'boolean') return { point, ts, value: b, quality };
  if (typeof v === 'number') return { point, ts, value: v, quality };
  return `quality ${quality} needs a numeric v or boolean b`;
}

/** Tag and field-key escaping of line protocol. */
const esc = (s: string) => s.replace(/[,= \\]/g, (c) => `\\${c}`);
const str = (s: string) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;

/**
 * The samples of one scan batch as per-poll lines (the store's layout), ns precision (what
 * `influx write` and /write take by default): one line
 * per device and ts, in order of each line's first sample. `area` gives a station's area tag.
 */
export function pollLines(batch: Sample[], area: (station: string) => string | undefined): string {
  const lines = new Map<string, { head: string; ts: number; fields: string[]; bad: string[]; uncertain: string[]; bool: string[] }>();
  for (const s of batch) {
    const b = s.point.lastIndexOf('.');
    const dev = s.point.slice(0, b);
    const p = s.point.slice(b + 1);
    const key = `${dev}\0${s.ts}`;
    let l = lines.get(key);
    if (!l) {
      const [station, device] = dev.split('.');
      const a = area(station);
      l = { head: `poll,${a ? `area=${esc(a)},` : ''}device=${esc(device)},station=${esc(station)}`, ts: s.ts, fields: [], bad: [], uncertain: [], bool: [] };
      lines.set(key, l);
    }
    if (s.quality === 'bad' || s.value === null) {
      l.bad.push(p);
      continue;
    }
    if (s.quality === 'uncertain') l.uncertain.push(p);
    if (typeof s.value === 'boolean') l.bool.push(p);
    l.fields.push(`${esc(p)}=${typeof s.value === 'boolean' ? (s.value ? 1 : 0) : s.value}`);
  }
  let out = '';
  for (const l of lines.values()) {
    l.fields.push(`@bad=${str(l.bad.join(','))}`, `@uncertain=${str(l.uncertain.join(','))}`, `@bool=${str(l.bool.join(','))}`);
    out += `${l.head} ${l.fields.join(',')} ${l.ts}000000\n`;
  }
  return out;
}

/** One line in the per-point layout of heatwatch ≤ 0.x, ns precision. */
export function pointLine(s: Sample): string {
  const [station, device, point] = s.point.split('.');
  const q = s.quality === 'good' ? 0 : s.quality === 'uncertain' ? 1 : 2;
  let f: string;
  if (q === 2 || s.value === null) f = 'q=2i';
  else if (typeof s.value === 'boolean') f = `v=${s.value ? 1 : 0},b=${s.value},q=${q}i`;
  else f = `v=${s.value},q=${q}i`;
  return `telemetry,station=${esc(station)},device=${esc(device)},point=${esc(point)} ${f} ${s.ts}000000\n`;
}
