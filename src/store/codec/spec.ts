/**
 * How the store encodes one point's values in compressed blocks: plain, structured-cloneable
 * data (the store may run in a worker_thread), derived from the point definitions in
 * src/store/create.ts.
 *
 * - `int`: an integer register; the value is `raw × scale + offset` (the Modbus decoder's own
 *   formula), stored as the integer `raw`: exact.
 * - `float`: quantised to a multiple of `resolution`: |stored − written| ≤ resolution / 2.
 * - `bool`: run lengths of bits.
 * - absent (a point the config does not know): lossless — whole decimals if every value of the
 *   block is one with ≤ 6 digits after the point, else XOR coding of the float64 (./gorilla.ts).
 */
export type PointEncoding = { kind: 'int'; scale: number; offset?: number } | { kind: 'float'; resolution: number } | { kind: 'bool' };

/**
 * Point id → encoding; points not in it are stored losslessly. Either a plain record, or by
 * device: `byDevice['station.device']` names a table of its points' encodings, which the
 * devices of one template share (610,000 points of 5,000 stations: a few tables and 5,000
 * names instead of 610,000 keys, on the main thread and again in the store's worker).
 */
export type PointEncodings = Record<string, PointEncoding> | DeviceEncodings;

export interface DeviceEncodings {
  byDevice: Record<string, number>;
  tables: Array<Record<string, PointEncoding>>;
}

/** The encoding of a point id (`station.device.point`), or undefined: lossless. */
export function encodingOf(e: PointEncodings, point: string): PointEncoding | undefined {
  if (!isByDevice(e)) return Object.hasOwn(e, point) ? (e[point] as PointEncoding) : undefined;
  const dot = point.lastIndexOf('.');
  const table = e.tables[e.byDevice[point.slice(0, dot)]];
  return table && Object.hasOwn(table, point.slice(dot + 1)) ? table[point.slice(dot + 1)] : undefined;
}

/** The resolution a point's values are kept at: a float point's, else 0 (kept as they are). */
export function resolutionOf(e: PointEncodings, point: string): number {
  const enc = encodingOf(e, point);
  return enc?.kind === 'float' ? enc.resolution : 0;
}

/**
 * A value at resolution `q` (0: as it is): the nearest multiple of `q`, as the InfluxDB store
 * writes it. For a decimal step (0.01, 0.05) it is the double nearest the decimal (n / 100):
 * n × 0.01 can be an ulp off (21.400000000000002), which the SQLite codec's decoding of n × q
 * may be too; both are within q / 2 of the value written.
 */
export function atResolution(v: number, q: number): number {
  if (!(q > 0)) return v;
  const n = Math.round(v / q);
  // past 2^52 steps a multiple is no nearer than the value itself
  if (!(Math.abs(n) <= 2 ** 52)) return v;
  const inv = Math.round(1 / q);
  return inv > 0 && Math.abs(inv * q - 1) < 1e-12 ? n / inv : n * q;
}

// a point id has two dots, so no plain record has the key `byDevice`
const isByDevice = (e: PointEncodings): e is DeviceEncodings => Object.hasOwn(e, 'byDevice') && Object.hasOwn(e, 'tables');

/**
 * Default resolution of a float point by unit, when its definition names none: about a tenth
 * of what the instruments behind these units resolve (docs/historian.md).
 */
export const DEFAULT_RESOLUTION: Record<string, number> = {
  degC: 0.01,
  K: 0.01,
  MPa: 0.0001,
  kPa: 0.1,
  bar: 0.001,
  'm3/h': 0.01,
  'GJ/h': 0.001,
  kW: 0.1,
  MW: 0.001,
  GJ: 0.001,
  MWh: 0.001,
  kWh: 0.01,
  m3: 0.001,
  '%': 0.01,
  Hz: 0.01,
};

/** for a float point whose unit is not in {@link DEFAULT_RESOLUTION} */
export const FALLBACK_RESOLUTION = 0.0001;

/**
 * How a number column is coded in the integer domain: n = round((v − off) / q), decoded as
 * n × q + off, accepted when |decoded − v| ≤ max(tolAbs, |v| × tolRel) for every value.
 */
export interface NumEnc {
  q: number;
  off: number;
  tolAbs: number;
  tolRel: number;
}

/** The sample-value coding of an encoding (null: lossless auto). */
export function valueEnc(e: PointEncoding | undefined): NumEnc | null {
  if (!e || e.kind === 'bool') return null;
  if (e.kind === 'int') return { q: e.scale, off: e.offset ?? 0, tolAbs: 0, tolRel: 0 };
  return { q: e.resolution, off: 0, tolAbs: e.resolution / 2 + Number.EPSILON * 4, tolRel: 1e-15 };
}

/**
 * The coding of a rollup sum: a multiple of the quantum up to the rounding of a float sum
 * (int points), or quantised at the resolution (float points: the mean errs ≤ resolution / 2n).
 */
export function sumEnc(e: PointEncoding | undefined): NumEnc | null {
  if (!e || e.kind === 'bool') return null;
  if (e.kind === 'int') return e.offset ? null : { q: e.scale, off: 0, tolAbs: 0, tolRel: 2 ** -40 };
  return { q: e.resolution, off: 0, tolAbs: e.resolution / 2 + Number.EPSILON * 4, tolRel: 1e-15 };
}
