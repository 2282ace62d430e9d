import { IdIndex } from '../id-index.ts';
import type { AlarmParams, BoundExpr, CompiledAlarm } from './compiled.ts';

/**
 * What an alarm shares with every other instance of its rule that reads the same relative
 * point: a few hundred of these at city scale, where instances are hundreds of thousands.
 */
export type AlarmTemplate = Pick<
  CompiledAlarm,
  'ruleId' | 'path' | 'type' | 'device' | 'priority' | 'message' | 'class' | 'onDelayMs' | 'offDelayMs' | 'latching' | 'modeMask' | 'zone' | 'parentRules'
>;

const templateKey = (c: CompiledAlarm, suffix: string | null): string =>
  JSON.stringify([c.ruleId, c.path, c.type, c.device, c.priority, c.message, c.class, c.onDelayMs, c.offDelayMs, c.latching, c.modeMask, c.zone, c.parentRules, suffix]);

/** `<point>:<suffix>`, the compiler's id of an alarm (bind.ts): the suffix, or null for another id */
function suffixOf(c: CompiledAlarm): string | null {
  const p = c.point;
  return c.alarmId.length > p.length + 1 && c.alarmId.startsWith(p) && c.alarmId.charCodeAt(p.length) === 58 ? c.alarmId.slice(p.length + 1) : null;
}

/**
 * The compiled alarms as the engine keeps them: per instance only what differs (its station,
 * point, inputs, params, suppression and parents, mostly references to strings and lists
 * shared with other instances), the rest in its {@link AlarmTemplate}. At 5,000
 * stations the 455,000 compiled alarm objects and their input lists were ~120 MB of the main
 * heap, and every major GC walked them; as columns they are ~30 MB. {@link at} gives an
 * instance back as a `CompiledAlarm`, equal to the one it was built from.
 *
 * Alarm ids are not kept: an id is its point's and its rule's suffix (`<point>:<suffix>`), made
 * again when asked for ({@link id}); first-out parents are kept as alarm indexes. Kept as
 * strings, the 455,000 ids and 150,000 parent lists were ~55 MB at 5,000 stations.
 */
export class AlarmCatalog {
  readonly length: number;
  private readonly templates: AlarmTemplate[] = [];
  /** per template: the suffix of its alarms' ids */
  private readonly suffixes: string[] = [];
  private readonly tpl: Int32Array;
  /** ids that are not `<point>:<suffix>` (none from the compiler; kept if one ever is) */
  private readonly oddIds = new Map<number, string>();
  private readonly stations: string[];
  private readonly points: string[];
  private readonly paramList: AlarmParams[];
  /** instance → its parents: `parentIdx[parentStart[i] .. parentStart[i + 1])`, alarm indexes */
  private readonly parentStart: Int32Array;
  private readonly parentIdx: Int32Array;
  /** instances whose parents are null rather than a list */
  private readonly noParents: Uint8Array;
  /** parent lists naming an id that is no alarm here, kept as given */
  private readonly oddParents = new Map<number, string[]>();
  /** instance → its inputs: `inputIds[inputStart[i] .. inputStart[i + 1])` */
  private readonly inputStart: Int32Array;
  private readonly inputIds: string[];
  /** only the instances that have one */
  private readonly suppressed = new Map<number, BoundExpr>();

  constructor(alarms: readonly CompiledAlarm[]) {
    const n = alarms.length;
    this.length = n;
    this.tpl = new Int32Array(n);
    this.stations = new Array<string>(n);
    this.points = new Array<string>(n);
    this.paramList = new Array<AlarmParams>(n);
    this.parentStart = new Int32Array(n + 1);
    this.noParents = new Uint8Array(n);
    this.inputStart = new Int32Array(n + 1);
    this.inputIds = [];
    const byKey = new Map<string, number>();
    const at = new Map<string, number>();
    for (let i = 0; i < n; i++) at.set(alarms[i].alarmId, i);
    const parentIdx: number[] = [];
    for (let i = 0; i < n; i++) {
      const c = alarms[i];
      const suffix = suffixOf(c);
      const key = templateKey(c, suffix);
      let t = byKey.get(key);
      if (t === undefined) {
        t = this.templates.length;
        byKey.set(key, t);
        const { ruleId, path, type, device, priority, message, class: cls, onDelayMs, offDelayMs, latching, modeMask, zone, parentRules } = c;
        this.templates.push({ ruleId, path, type, device, priority, message, class: cls, onDelayMs, offDelayMs, latching, modeMask, zone, parentRules });
        this.suffixes.push(suffix ?? '');
      }
      this.tpl[i] = t;
      if (suffix === null) this.oddIds.set(i, c.alarmId);
      this.stations[i] = c.station;
      this.points[i] = c.point;
      this.paramList[i] = c.params;
      this.parentStart[i] = parentIdx.length;
      if (c.parents === null) this.noParents[i] = 1;
      else if (c.parents.every((p) => at.has(p))) for (const p of c.parents) parentIdx.push(at.get(p)!);
      else this.oddParents.set(i, c.parents);
      this.inputStart[i] = this.inputIds.length;
      for (const id of c.inputs) this.inputIds.push(id);
      if (c.suppressedBy) this.suppressed.set(i, c.suppressedBy);
    }
    this.parentStart[n] = parentIdx.length;
    this.parentIdx = Int32Array.from(parentIdx);
    this.inputStart[n] = this.inputIds.length;
  }

  /** alarm id → index: a lookup makes the ids it compares (for lookups by id, not per sample) */
  index(): IdIndex {
    return IdIndex.of(this.length, (i) => this.id(i));
  }

  /** The shared part of alarm i. */
  rule(i: number): AlarmTemplate {
    return this.templates[this.tpl[i]];
  }

  id(i: number): string {
    const suffix = this.suffixes[this.tpl[i]];
    return suffix ? `${this.points[i]}:${suffix}` : this.oddIds.get(i)!;
  }

  station(i: number): string {
    return this.stations[i];
  }

  /** full point id; `station.device` for commLoss */
  point(i: number): string {
    return this.points[i];
  }

  params(i: number): AlarmParams {
    return this.paramList[i];
  }

  /** alarm ids of the instance's first-out parents (a new list each call) */
  parents(i: number): string[] | null {
    if (this.noParents[i]) return null;
    const odd = this.oddParents.get(i);
    if (odd) return odd.slice();
    const out: string[] = [];
    for (let k = this.parentStart[i]; k < this.parentStart[i + 1]; k++) out.push(this.id(this.parentIdx[k]));
    return out;
  }

  /** Whether alarm i's condition reads point `id`. */
  reads(i: number, id: string): boolean {
    for (let k = this.inputStart[i]; k < this.inputStart[i + 1]; k++) if (this.inputIds[k] === id) return true;
    return false;
  }

  /** Alarm i as the compiler made it (a new object each call: for one alarm at a time, not for scans). */
  at(i: number): CompiledAlarm {
    const t = this.rule(i);
    return {
      alarmId: this.id(i),
      ruleId: t.ruleId,
      path: t.path,
      type: t.type,
      station: this.stations[i],
      device: t.device,
      point: this.points[i],
      priority: t.priority,
      message: t.message,
      class: t.class,
      onDelayMs: t.onDelayMs,
      offDelayMs: t.offDelayMs,
      latching: t.latching,
      inputs: this.inputIds.slice(this.inputStart[i], this.inputStart[i + 1]),
      params: this.paramList[i],
      suppressedBy: this.suppressed.get(i) ?? null,
      modeMask: t.modeMask,
      zone: t.zone,
      parentRules: t.parentRules,
      parents: this.parents(i),
    };
  }
}
