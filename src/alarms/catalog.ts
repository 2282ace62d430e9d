import type { AlarmParams, BoundExpr, CompiledAlarm } from './compiled.ts';

/**
 * What an alarm shares with every other instance of its rule that reads the same relative
 * point: a few hundred of these at city scale, where instances are hundreds of thousands.
 */
export type AlarmTemplate = Pick<
  CompiledAlarm,
  'ruleId' | 'path' | 'type' | 'device' | 'priority' | 'message' | 'class' | 'onDelayMs' | 'offDelayMs' | 'latching' | 'modeMask' | 'zone' | 'parentRules'
>;

const templateKey = (c: CompiledAlarm): string =>
  JSON.stringify([c.ruleId, c.path, c.type, c.device, c.priority, c.message, c.class, c.onDelayMs, c.offDelayMs, c.latching, c.modeMask, c.zone, c.parentRules]);

/**
 * The compiled alarms as the engine keeps them: per instance only what differs (its id,
 * station, point, inputs, params, suppression and parents, mostly references to strings and
 * lists shared with other instances), the rest in its {@link AlarmTemplate}. At 5,000
 * stations the 455,000 compiled alarm objects and their input lists were ~120 MB of the main
 * heap, and every major GC walked them; as columns they are ~30 MB. {@link at} gives an
 * instance back as a `CompiledAlarm`, equal to the one it was built from.
 */
export class AlarmCatalog {
  readonly length: number;
  private readonly templates: AlarmTemplate[] = [];
  private readonly tpl: Int32Array;
  /** the alarms' ids in order */
  readonly ids: readonly string[];
  private readonly stations: string[];
  private readonly points: string[];
  private readonly paramList: AlarmParams[];
  private readonly parentLists: Array<string[] | null>;
  /** instance → its inputs: `inputIds[inputStart[i] .. inputStart[i + 1])` */
  private readonly inputStart: Int32Array;
  private readonly inputIds: string[];
  /** only the instances that have one */
  private readonly suppressed = new Map<number, BoundExpr>();

  constructor(alarms: readonly CompiledAlarm[]) {
    const n = alarms.length;
    this.length = n;
    this.tpl = new Int32Array(n);
    const ids = new Array<string>(n);
    this.ids = ids;
    this.stations = new Array<string>(n);
    this.points = new Array<string>(n);
    this.paramList = new Array<AlarmParams>(n);
    this.parentLists = new Array<string[] | null>(n);
    this.inputStart = new Int32Array(n + 1);
    this.inputIds = [];
    const byKey = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const c = alarms[i];
      const key = templateKey(c);
      let t = byKey.get(key);
      if (t === undefined) {
        t = this.templates.length;
        byKey.set(key, t);
        const { ruleId, path, type, device, priority, message, class: cls, onDelayMs, offDelayMs, latching, modeMask, zone, parentRules } = c;
        this.templates.push({ ruleId, path, type, device, priority, message, class: cls, onDelayMs, offDelayMs, latching, modeMask, zone, parentRules });
      }
      this.tpl[i] = t;
      ids[i] = c.alarmId;
      this.stations[i] = c.station;
      this.points[i] = c.point;
      this.paramList[i] = c.params;
      this.parentLists[i] = c.parents;
      this.inputStart[i] = this.inputIds.length;
      for (const id of c.inputs) this.inputIds.push(id);
      if (c.suppressedBy) this.suppressed.set(i, c.suppressedBy);
    }
    this.inputStart[n] = this.inputIds.length;
  }

  /** The shared part of alarm i. */
  rule(i: number): AlarmTemplate {
    return this.templates[this.tpl[i]];
  }

  id(i: number): string {
    return this.ids[i];
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

  /** alarm ids of the instance's first-out parents */
  parents(i: number): readonly string[] | null {
    return this.parentLists[i];
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
      alarmId: this.ids[i],
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
      parents: this.parentLists[i],
    };
  }
}
