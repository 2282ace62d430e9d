/**
 * One device poll as columns, from the adapter to the ingest pipeline and its listeners (latest
 * values, alarm engine, queue): the device's point ids (the same array on every poll), one ts,
 * and a value and a tag per point. At city scale a Sample object per value is the largest
 * allocation of the service (60,000–100,000 a second), and every consumer then looks each
 * point id up again; with columns a consumer looks a device's layout up once, keyed by the
 * identity of its `ids` array, and reads typed arrays.
 *
 * The arrays belong to the device and are overwritten by its next poll: a consumer copies what
 * it keeps before the call returns. {@link pollSamples} makes the Sample objects for a consumer
 * that needs them (MQTT, the live feed of a watched station, a first sight of a layout).
 *
 * @example
 * sink.poll?.({ ids, station: 'hs-001', ts, vals, tags }); // tags[i]: POLL_NUM → vals[i]; POLL_TRUE / POLL_FALSE; POLL_BAD
 * const samples = pollSamples(p); // equal to what the device would have sent as samples
 */
import { MAX_FUTURE_MS, MAX_SAMPLE_TS_MS, MIN_SAMPLE_TS_MS, type Sample } from './model.ts';

/** `vals[i]` holds the value (a finite number) */
export const POLL_NUM = 0;
export const POLL_FALSE = 1;
export const POLL_TRUE = 2;
/** not read or not representable (NaN/Infinity): `{ value: null, quality: 'bad' }` */
export const POLL_BAD = 3;

export interface PollColumns {
  /** full point ids, the same array object on every poll of the device */
  readonly ids: readonly string[];
  /** the station of every id */
  readonly station: string;
  /** ms epoch, of every value */
  readonly ts: number;
  readonly vals: Float64Array;
  /** POLL_* per point */
  readonly tags: Uint8Array;
}

/** Row i's value as a sample has it (a tag that is none of POLL_*: null, as a bad read). */
export function pollValue(p: PollColumns, i: number): Sample['value'] {
  const t = p.tags[i];
  return t === POLL_NUM ? p.vals[i] : t === POLL_TRUE ? true : t === POLL_FALSE ? false : null;
}

/** Row i as a Sample. */
export function pollSample(p: PollColumns, i: number): Sample {
  const t = p.tags[i];
  return { point: p.ids[i], ts: p.ts, value: pollValue(p, i), quality: t === POLL_NUM || t === POLL_TRUE || t === POLL_FALSE ? 'good' : 'bad' };
}

/** The poll as Sample objects. */
export function pollSamples(p: PollColumns): Sample[] {
  const n = p.ids.length;
  const out = new Array<Sample>(n);
  for (let i = 0; i < n; i++) out[i] = pollSample(p, i);
  return out;
}

/**
 * model.ts `sampleProblem(s, now) === null` for every row of a poll whose ids are known to be
 * valid point ids (a layout the pipeline accepted before): one ts, finite numbers, known tags.
 */
export function storablePoll(p: PollColumns, now: number): boolean {
  const ts = p.ts;
  if (!(Number.isSafeInteger(ts) && ts >= MIN_SAMPLE_TS_MS && ts < MAX_SAMPLE_TS_MS && ts <= now + MAX_FUTURE_MS)) return false;
  const { vals, tags } = p;
  const n = p.ids.length;
  if (vals.length < n || tags.length < n) return false;
  for (let i = 0; i < n; i++) {
    const t = tags[i];
    if (t > POLL_BAD || (t === POLL_NUM && vals[i] - vals[i] !== 0)) return false;
  }
  return true;
}

/**
 * A value per `ids` array (a device's layout), computed on first sight. Weak: a device that goes
 * away (config reload) takes its entry with it.
 */
export class LayoutCache<T> {
  private readonly map = new WeakMap<readonly string[], T>();
  constructor(private readonly build: (ids: readonly string[]) => T) {}

  of(ids: readonly string[]): T {
    let v = this.map.get(ids);
    if (v === undefined) this.map.set(ids, (v = this.build(ids)));
    return v;
  }
}
