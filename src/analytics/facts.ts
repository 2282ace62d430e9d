/**
 * Station facts (heated area, system volume, design temperatures, location, plus the existing
 * heating type and district) from the station entries and from a CSV file
 * (`analytics.factsCsv`), checked in the config loader's one pass: every bad cell is a problem
 * naming its line and column, every bad YAML value names `stations[i].<key>`.
 *
 * CSV: a header row naming the columns (any of `id` — required —, `heatedAreaM2`,
 * `systemVolumeM3`, `designSupplyC`, `designReturnC`, `lat`, `lon`, `x`, `y`, `heatingType`,
 * `area`), then one row per station; an empty cell gives nothing. A station entry's own value
 * wins over the file's.
 *
 * @example
 * ```ts
 * const csv = parseFactsCsv('id,heatedAreaM2,x,y\nhs-001,86000,1200,3400\n', 'facts.csv');
 * csv.rows.get('hs-001'); // { line: 2, facts: { heatedAreaM2: 86000, location: { x: 1200, y: 3400 } } }
 * ```
 */
import { readFileSync } from 'node:fs';
import type { StationLocation } from './config.ts';

export interface StationFacts {
  heatedAreaM2?: number;
  systemVolumeM3?: number;
  designSupplyC?: number;
  designReturnC?: number;
  location?: StationLocation;
}

/** What a CSV row may give: the facts, and the station's heating type and district. */
export interface CsvFacts extends StationFacts {
  heatingType?: 'radiator' | 'floor';
  area?: string;
}

interface Problem {
  path: string;
  message: string;
}

const COLUMNS = ['id', 'heatedAreaM2', 'systemVolumeM3', 'designSupplyC', 'designReturnC', 'lat', 'lon', 'x', 'y', 'heatingType', 'area'] as const;
type Column = (typeof COLUMNS)[number];

/** Number columns: inclusive lower bound or exclusive (`gt`), upper bound. */
const NUMBER_RULES: Partial<Record<Column, { gt?: number; min?: number; max: number }>> = {
  heatedAreaM2: { gt: 0, max: 1e8 },
  systemVolumeM3: { gt: 0, max: 1e7 },
  designSupplyC: { min: 0, max: 150 },
  designReturnC: { min: 0, max: 150 },
  lat: { min: -90, max: 90 },
  lon: { min: -180, max: 180 },
  x: { min: -1e7, max: 1e7 },
  y: { min: -1e7, max: 1e7 },
};

/** Records of a CSV text (RFC 4180: quoted fields with "" escapes, CRLF or LF), each with its first line number. */
export function csvRecords(text: string): Array<{ line: number; cells: string[] }> {
  const out: Array<{ line: number; cells: string[] }> = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const endRecord = () => {
    cells.push(cell);
    if (!(cells.length === 1 && cells[0].trim() === '')) out.push({ line: start, cells });
    cells = [];
    cell = '';
    start = line;
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (quoted) {
      if (c === '"' && body[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        cell += c;
      }
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && body[i + 1] === '\n') i++;
      line++;
      endRecord();
    } else cell += c;
  }
  if (cell !== '' || cells.length) endRecord();
  return out;
}

/** The facts of a CSV text by station id, and a problem per bad header, cell or duplicate row. */
export function parseFactsCsv(text: string, key = 'analytics.factsCsv'): { rows: Map<string, { line: number; facts: CsvFacts }>; problems: Problem[] } {
  const problems: Problem[] = [];
  const rows = new Map<string, { line: number; facts: CsvFacts }>();
  const records = csvRecords(text);
  const header = records.shift();
  if (!header) return { rows, problems: [{ path: key, message: 'the file is empty: it needs a header row starting with id' }] };
  const cols = header.cells.map((c) => c.trim());
  const at = (line: number, what: string) => ({ path: key, message: `line ${line}: ${what}` });
  cols.forEach((c) => {
    if (!(COLUMNS as readonly string[]).includes(c)) problems.push(at(header.line, `unknown column '${c}' (known: ${COLUMNS.join(', ')})`));
  });
  if (!cols.includes('id')) problems.push(at(header.line, 'the header needs an id column'));
  const pairs: Array<[Column, Column]> = [['lat', 'lon'], ['x', 'y']];
  for (const [a, b] of pairs) if (cols.includes(a) !== cols.includes(b)) problems.push(at(header.line, `${a} and ${b} go together`));
  if (problems.length) return { rows, problems };
  for (const { line, cells } of records) {
    if (cells.length !== cols.length) {
      problems.push(at(line, `${cells.length} cells, the header has ${cols.length}`));
      continue;
    }
    const cell = new Map(cols.map((c, i) => [c as Column, cells[i].trim()]));
    const id = cell.get('id') ?? '';
    if (!/^[a-z0-9_-]+$/.test(id)) {
      problems.push(at(line, `id '${id}' is not a station id`));
      continue;
    }
    if (rows.has(id)) {
      problems.push(at(line, `station '${id}' again (first on line ${rows.get(id)!.line})`));
      continue;
    }
    const facts: CsvFacts = {};
    const nums: Partial<Record<Column, number>> = {};
    let bad = false;
    for (const [col, rule] of Object.entries(NUMBER_RULES) as Array<[Column, { gt?: number; min?: number; max: number }]>) {
      const v = cell.get(col);
      if (v === undefined || v === '') continue;
      const n = Number(v);
      const why = !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)
        ? `'${v}' is not a number`
        : rule.gt !== undefined && !(n > rule.gt)
          ? `must be > ${rule.gt}, got ${v}`
          : rule.min !== undefined && n < rule.min
            ? `must be >= ${rule.min}, got ${v}`
            : n > rule.max
              ? `must be <= ${rule.max}, got ${v}`
              : null;
      if (why) {
        problems.push(at(line, `${col} ${why}`));
        bad = true;
      } else nums[col] = n;
    }
    for (const k of ['heatedAreaM2', 'systemVolumeM3', 'designSupplyC', 'designReturnC'] as const) if (nums[k] !== undefined) facts[k] = nums[k];
    for (const [a, b] of pairs) {
      const has = [nums[a] !== undefined, nums[b] !== undefined];
      if (has[0] !== has[1] && !bad) problems.push(at(line, `${a} and ${b} go together`));
      if (has[0] && has[1]) facts.location = (a === 'lat' ? { lat: nums.lat!, lon: nums.lon! } : { x: nums.x!, y: nums.y! }) as StationLocation;
    }
    if (nums.lat !== undefined && nums.x !== undefined) problems.push(at(line, 'give lat/lon or x/y, not both'));
    const ht = cell.get('heatingType');
    if (ht) {
      if (ht === 'radiator' || ht === 'floor') facts.heatingType = ht;
      else problems.push(at(line, `heatingType '${ht}' is not one of radiator, floor`));
    }
    const area = cell.get('area');
    if (area) facts.area = area;
    rows.set(id, { line, facts });
  }
  return { rows, problems };
}

/** Reads `analytics.factsCsv`; a file that cannot be read is a problem naming the key. */
export function readFactsCsv(path: string | undefined, problems: Problem[]): Map<string, { line: number; facts: CsvFacts }> {
  if (path === undefined) return new Map();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    problems.push({ path: 'analytics.factsCsv', message: `cannot read ${path}: ${(err as Error).message}` });
    return new Map();
  }
  const r = parseFactsCsv(text);
  problems.push(...r.problems.map((p) => ({ path: p.path, message: `${path} ${p.message}` })));
  return r.rows;
}

/** The facts of a station entry as the resolved station carries them (keys present only when given). */
export function stationFacts(s: StationFacts): StationFacts {
  const out: StationFacts = {};
  if (s.heatedAreaM2 !== undefined) out.heatedAreaM2 = s.heatedAreaM2;
  if (s.systemVolumeM3 !== undefined) out.systemVolumeM3 = s.systemVolumeM3;
  if (s.designSupplyC !== undefined) out.designSupplyC = s.designSupplyC;
  if (s.designReturnC !== undefined) out.designReturnC = s.designReturnC;
  if (s.location !== undefined) out.location = s.location;
  return out;
}

/** A station entry with what its CSV row gives filled in where the entry says nothing. */
export function withCsvFacts<T extends CsvFacts>(s: T, row: { facts: CsvFacts } | undefined): T {
  if (!row) return s;
  const out = { ...s } as T;
  for (const [k, v] of Object.entries(row.facts)) if ((out as Record<string, unknown>)[k] === undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/**
 * Checks across stations: one location kind for all, design supply above design return, every
 * CSV row naming a configured station.
 */
export function checkFacts(
  stations: ReadonlyArray<StationFacts & { id: string }>,
  csv: ReadonlyMap<string, { line: number }>,
  known: ReadonlySet<string>,
  problems: Problem[],
): void {
  let kind: { lat: boolean; index: number } | null = null;
  stations.forEach((s, i) => {
    if (s.location) {
      const lat = 'lat' in s.location;
      if (!kind) kind = { lat, index: i };
      else if (kind.lat !== lat) {
        problems.push({
          path: `stations[${i}].location`,
          message: `${lat ? 'lat/lon' : 'x/y'} here but ${kind.lat ? 'lat/lon' : 'x/y'} at stations[${kind.index}]: give every station the same kind`,
        });
      }
    }
    if (s.designSupplyC !== undefined && s.designReturnC !== undefined && s.designReturnC >= s.designSupplyC) {
      problems.push({ path: `stations[${i}].designReturnC`, message: `must be below designSupplyC (${s.designSupplyC}), got ${s.designReturnC}` });
    }
  });
  for (const [id, row] of csv) {
    if (!known.has(id)) problems.push({ path: 'analytics.factsCsv', message: `line ${row.line}: unknown station '${id}'` });
  }
}
