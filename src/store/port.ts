import type { Sample } from '../model.ts';

export type Aggregation = 'mean' | 'min' | 'max' | 'last' | 'count';

export interface SeriesQuery {
  /** full point ids `station.device.point` */
  points: string[];
  /** ms epoch, inclusive: the bucket holding `from` is the first one */
  from: number;
  /**
   * ms epoch, exclusive: buckets starting before `to` are returned. Buckets are whole
   * ([start, start + stepMs)), so raw and rollup answers agree.
   */
  to: number;
  /** bucket width in ms; buckets are aligned to multiples of stepMs since the epoch */
  stepMs: number;
  agg: Aggregation;
}

/** A query's answer as one Float64Array per series (NaN: no value), bucket i at `t0 + i × stepMs`. */
export interface SeriesValues {
  point: string;
  source: SeriesResult['source'];
  t0: number;
  stepMs: number;
  values: Float64Array;
}

/** A series answer with its `points` array as JSON bytes: what JSON.stringify gives for the pairs. */
export interface SeriesJson {
  point: string;
  source: SeriesResult['source'];
  points: Uint8Array;
}

/**
 * A store that writes its answers' JSON itself (the SQLite store, in its worker thread): the
 * API's event loop then only copies bytes to the socket (a month of minutes for 10 points is
 * ~13 MB of JSON).
 */
export interface JsonQuery {
  queryJson(q: SeriesQuery): Promise<SeriesJson[]>;
}

export function answersJson<T extends object>(store: T): store is T & JsonQuery {
  return typeof (store as Partial<JsonQuery>).queryJson === 'function';
}

/** A store that answers as typed columns itself (the SQLite store, from its worker). */
export interface ValuesQuery {
  queryValues(q: SeriesQuery): Promise<SeriesValues[]>;
}

/**
 * A query's answer as typed columns, for readers that fold values (analytics, baselines): the
 * store's own when it has them, so no `[ts, value]` pair is made per bucket (at 5,000 stations
 * a run of the analytics job reads millions of minutes); else made from the store's pairs.
 */
export async function queryValues(store: Pick<SeriesStore, 'query'> & Partial<ValuesQuery>, q: SeriesQuery): Promise<SeriesValues[]> {
  if (typeof store.queryValues === 'function') return store.queryValues(q);
  const t0 = Math.floor(q.from / q.stepMs) * q.stepMs;
  return (await store.query(q)).map((r) => {
    const values = new Float64Array(Math.max(0, Math.ceil((q.to - t0) / q.stepMs))).fill(Number.NaN);
    for (const [ts, v] of r.points) {
      const i = (ts - t0) / q.stepMs;
      if (v !== null && i >= 0 && i < values.length) values[i] = v;
    }
    return { point: r.point, source: r.source, t0, stepMs: q.stepMs, values };
  });
}

/** The port's [ts, value] form of typed answers (NaN → null). */
export function resultsOf(values: readonly SeriesValues[]): SeriesResult[] {
  return values.map((v) => {
    const points = new Array<[number, number | null]>(v.values.length);
    for (let i = 0; i < v.values.length; i++) points[i] = [v.t0 + i * v.stepMs, Number.isNaN(v.values[i]) ? null : v.values[i]];
    return { point: v.point, source: v.source, points };
  });
}

export interface SeriesResult {
  point: string;
  /**
   * One entry per bucket from floor(from/step)*step up to `to`; the value is null
   * where the bucket holds no good sample (count gives 0), so gaps stay gaps.
   */
  points: Array<[number, number | null]>;
  /** which table answered: raw samples or the 1-minute rollup */
  source: 'raw' | 'rollup_1m' | 'rollup_1h';
}

/**
 * The series store port. Implementations: SQLite (embedded default), InfluxDB.
 * Only good and uncertain samples are aggregated; bad samples are kept (so a
 * gap is known to be a comm failure) but never enter means.
 */
export interface SeriesStore {
  /** creates what it needs; idempotent */
  init(): Promise<void>;
  /** writes one batch atomically: all of it or none of it */
  write(samples: Sample[]): Promise<void>;
  /** newest sample of each point that has one */
  latest(points: string[]): Promise<Map<string, Sample>>;
  query(q: SeriesQuery): Promise<SeriesResult[]>;
  /** raw samples of [from, to) in time order, in batches (alarm replay); optional */
  scan?(from: number, to: number): AsyncIterable<Sample[]>;
  /**
   * The oldest ts the store has not yet compacted (the embedded store's head; null: none, or a
   * store without one), as of the last write: how far compaction is behind. Optional.
   */
  headFrom?(): number | null;
  /** deletes raw data older than the retention (rollups: 10× / 100× longer); returns rows removed from all tables */
  applyRetention(now: number): Promise<number>;
  close(): Promise<void>;
}
