/**
 * Address → serving station (pure). A mapping entry names a building or an
 * address prefix; the longest matching prefix wins, so "学府路12号" can map
 * one station and "学府路12号3栋" another.
 *
 * @example
 *   matchStation('南岗区 学府路12号 3单元', [{ address: '南岗区学府路12号', station: 'hs-001' }]) // 'hs-001'
 */

export interface AddressEntry {
  address: string;
  station: string;
}

/** Drops whitespace and punctuation spacing, folds full-width ASCII and case. */
export function normalizeAddress(a: string): string {
  return a
    .replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[\s\u3000,，、]+/g, '')
    .toLowerCase();
}

export function matchStation(address: string, entries: readonly AddressEntry[]): string | undefined {
  const a = normalizeAddress(address);
  let best: AddressEntry | undefined;
  let bestLen = 0;
  for (const e of entries) {
    const p = normalizeAddress(e.address);
    if (p.length > bestLen && a.startsWith(p)) {
      best = e;
      bestLen = p.length;
    }
  }
  return best?.station;
}

/** One CSV line into fields (RFC 4180 quotes). */
function fields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') q = false;
      else cur += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((f) => f.trim());
}

export interface CsvResult {
  entries: AddressEntry[];
  /** `line N: problem`; any error rejects the whole import */
  errors: string[];
}

/**
 * Parses `address,station` rows; a first row `address,station` is a header.
 * Unknown stations are errors when `known` is given.
 */
export function parseAddressCsv(text: string, known?: ReadonlySet<string>): CsvResult {
  const entries: AddressEntry[] = [];
  const errors: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    if (!raw.trim()) return;
    const f = fields(raw);
    if (i === 0 && f[0]?.toLowerCase() === 'address') return;
    const n = i + 1;
    if (f.length !== 2) return void errors.push(`line ${n}: expected 2 fields (address,station), got ${f.length}`);
    const [address, station] = f;
    if (!address) return void errors.push(`line ${n}: address is empty`);
    if (!/^[a-z0-9_-]+$/.test(station)) return void errors.push(`line ${n}: station '${station}' is not a station id`);
    if (known && !known.has(station)) return void errors.push(`line ${n}: unknown station '${station}'`);
    entries.push({ address, station });
  });
  return { entries, errors };
}
