/**
 * The state of every alarm instance as typed columns: a city has hundreds of thousands of
 * alarm instances, nearly all at rest, and an object per instance was ~65 MB of heap and as
 * many objects for the garbage collector to walk on every major collection.
 * `AlarmRecord` stays the form alarms are persisted, restored and shown in: `record(i)` makes
 * one, `put(i, r)` takes one back, and JSON holds the columns as records (`toJSON`).
 */
import { columnsFrom, idAt, type IdList } from './aligned.ts';
import type { AlarmRecord, AlarmStateName } from './types.ts';

export const STATE_NAMES: readonly AlarmStateName[] = ['normal', 'unacked', 'acked', 'rtn_unacked', 'shelved', 'suppressed', 'out_of_service'];
const STATE_CODE = new Map(STATE_NAMES.map((n, i) => [n, i]));
/** state codes (indexes in STATE_NAMES) */
export const ST_NORMAL = 0;
export const ST_UNACKED = 1;
export const ST_ACKED = 2;
export const ST_RTN_UNACKED = 3;
export const ST_SHELVED = 4;
export const ST_SUPPRESSED = 5;
export const ST_OOS = 6;

/** flag bits */
export const RAW = 1;
export const COND = 2;
export const LATCHED = 4;
export const SUP_EXPR = 8;
export const SUP_COMM = 16;
export const SUP_MODE = 32;
export const SUP_PARENT = 64;
export const OOS = 128;
/** any of the suppressions */
export const SUPPRESSED = SUP_EXPR | SUP_COMM | SUP_MODE | SUP_PARENT;

export class AlarmStates {
  /** state code (STATE_NAMES) */
  readonly st: Uint8Array;
  /** flag bits (RAW, COND, …) */
  readonly f: Uint8Array;
  /** engine time `raw` last changed */
  readonly rawTs: Float64Array;
  /** engine time the condition last became active, -1 if never */
  readonly activeTs: Float64Array;
  /** engine time a shelve ends; NaN when not shelved */
  readonly shelvedUntil: Float64Array;
  /** engine time out of service ends; NaN when none (also while in service) */
  readonly oosUntil: Float64Array;
  /** who shelved, by alarm index (few at a time) */
  readonly shelvedBy = new Map<number, string>();
  /** evaluator scratch (rate-of-change buckets, baseline figures), null otherwise */
  readonly x: Array<number[] | null>;

  /** `ids`: the alarms' ids by index (the engine passes its catalog, which makes them when asked) */
  constructor(readonly ids: IdList) {
    const n = ids.length;
    this.st = new Uint8Array(n);
    this.f = new Uint8Array(n);
    this.rawTs = new Float64Array(n).fill(-1);
    this.activeTs = new Float64Array(n).fill(-1);
    this.shelvedUntil = new Float64Array(n).fill(NaN);
    this.oosUntil = new Float64Array(n).fill(NaN);
    this.x = new Array<number[] | null>(n).fill(null);
  }

  get length(): number {
    return this.ids.length;
  }

  state(i: number): AlarmStateName {
    return STATE_NAMES[this.st[i]];
  }

  setState(i: number, name: AlarmStateName): void {
    this.st[i] = STATE_CODE.get(name) ?? ST_NORMAL;
  }

  /** `raw` and `cond` differ: an on or off delay is running. */
  pending(i: number): boolean {
    const f = this.f[i] & (RAW | COND);
    return f === RAW || f === COND;
  }

  /** The condition holds, raw or debounced. */
  holds(i: number): boolean {
    return (this.f[i] & (RAW | COND)) !== 0;
  }

  has(i: number, bit: number): boolean {
    return (this.f[i] & bit) !== 0;
  }

  set(i: number, bit: number, on: boolean): void {
    if (on) this.f[i] |= bit;
    else this.f[i] &= ~bit;
  }

  /** Not at rest: what a checkpoint keeps (see AlarmRunner.checkpoint). */
  busy(i: number, baseline: (x: number[] | null) => boolean): boolean {
    return this.st[i] !== ST_NORMAL || (this.f[i] & (RAW | COND | LATCHED | OOS | SUP_MODE | SUP_PARENT)) !== 0 || this.shelvedUntil[i] === this.shelvedUntil[i] || baseline(this.x[i]);
  }

  record(i: number): AlarmRecord {
    const f = this.f[i];
    const shelved = this.shelvedUntil[i];
    const oosUntil = this.oosUntil[i];
    return {
      id: idAt(this.ids, i),
      st: STATE_NAMES[this.st[i]],
      raw: (f & RAW) !== 0,
      rawTs: this.rawTs[i],
      cond: (f & COND) !== 0,
      activeTs: this.activeTs[i],
      latched: (f & LATCHED) !== 0,
      supExpr: (f & SUP_EXPR) !== 0,
      supComm: (f & SUP_COMM) !== 0,
      supMode: (f & SUP_MODE) !== 0,
      supParent: (f & SUP_PARENT) !== 0,
      shelvedUntil: shelved === shelved ? shelved : null,
      shelvedBy: this.shelvedBy.get(i) ?? null,
      oos: (f & OOS) !== 0,
      oosUntil: oosUntil === oosUntil ? oosUntil : null,
      x: this.x[i] === null ? null : this.x[i]!.slice(),
    };
  }

  /** Takes a record's state into alarm `i` (the record's id is not checked; fields older states lack read as false / null). */
  put(i: number, r: AlarmRecord): void {
    this.st[i] = STATE_CODE.get(r.st) ?? ST_NORMAL;
    let f = 0;
    if (r.raw) f |= RAW;
    if (r.cond) f |= COND;
    if (r.latched) f |= LATCHED;
    if (r.supExpr) f |= SUP_EXPR;
    if (r.supComm) f |= SUP_COMM;
    if (r.supMode) f |= SUP_MODE;
    if (r.supParent) f |= SUP_PARENT;
    if (r.oos) f |= OOS;
    this.f[i] = f;
    this.rawTs[i] = r.rawTs;
    this.activeTs[i] = r.activeTs;
    this.shelvedUntil[i] = r.shelvedUntil ?? NaN;
    this.oosUntil[i] = r.oosUntil ?? NaN;
    if (r.shelvedBy != null) this.shelvedBy.set(i, r.shelvedBy);
    else this.shelvedBy.delete(i);
    this.x[i] = r.x ? r.x.slice() : null;
  }

  /** the id of alarm i */
  id(i: number): string {
    return idAt(this.ids, i);
  }

  toJSON(): AlarmRecord[] {
    return Array.from({ length: this.ids.length }, (_, i) => this.record(i));
  }

  /** The columns for `ids` from what a state holds (aligned.ts): new alarms at rest. */
  static of(ids: IdList, held: AlarmStates | readonly AlarmRecord[] | undefined): AlarmStates {
    return columnsFrom(ids, held, AlarmStates);
  }
}
