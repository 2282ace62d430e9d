/**
 * Pure read planning: which requests to send to read a device's points, built once when the
 * device starts (Telegraf's "Init compiles the config"); polling only executes the plan.
 *
 * Points are grouped by table and sorted by address; neighbouring ranges are merged when the
 * hole between them is at most `maxGap` unused addresses and the merged request stays within
 * `maxRegisters` (125, the Modbus limit for FC3/FC4) or `maxBits` (2000, FC1/FC2). Left-to-right
 * greedy merging gives the fewest requests for these two constraints.
 *
 * @example
 * buildReadPlan(points, { maxGap: 10 })
 * // [{ table: 'holding', address: 0, count: 62, label: 'holding 0..61', points: [...] }, ...]
 */
import { registerWidth, type ModbusPointSpec } from './config.ts';

export type ModbusTable = ModbusPointSpec['table'];

/** One point fed by a request: `index` in the device's point list, `offset` into the reply. */
export interface PlannedPoint {
  point: ModbusPointSpec;
  index: number;
  offset: number;
}

export interface ReadRequest {
  table: ModbusTable;
  address: number;
  count: number;
  /** `holding 0..61` (inclusive range), for error messages */
  label: string;
  points: PlannedPoint[];
}

export interface PlanOptions {
  /** largest hole of unused addresses a request may read across */
  maxGap: number;
  /** registers per request for holding/input (default and protocol maximum 125) */
  maxRegisters?: number;
  /** bits per request for coil/discrete (default and protocol maximum 2000) */
  maxBits?: number;
}

const TABLES: ModbusTable[] = ['coil', 'discrete', 'holding', 'input'];

export function isBitTable(table: ModbusTable): boolean {
  return table === 'coil' || table === 'discrete';
}

/** Width of a point in addresses of its table. */
export function pointWidth(p: ModbusPointSpec): number {
  return isBitTable(p.table) || p.type === 'bool' ? 1 : registerWidth(p.type);
}

export function buildReadPlan(points: ModbusPointSpec[], opts: PlanOptions): ReadRequest[] {
  const maxGap = Math.max(0, opts.maxGap);
  const out: ReadRequest[] = [];
  for (const table of TABLES) {
    const max = isBitTable(table) ? Math.min(opts.maxBits ?? 2000, 2000) : Math.min(opts.maxRegisters ?? 125, 125);
    const items = points
      .map((point, index) => ({ point, index }))
      .filter((x) => x.point.table === table)
      .sort((a, b) => a.point.address - b.point.address || pointWidth(a.point) - pointWidth(b.point));
    let cur: { address: number; end: number; members: Array<{ point: ModbusPointSpec; index: number }> } | null = null;
    const flush = (): void => {
      if (!cur) return;
      const count = cur.end - cur.address;
      const address = cur.address;
      out.push({
        table,
        address,
        count,
        label: `${table} ${address}..${cur.end - 1}`,
        points: cur.members.map((m) => ({ point: m.point, index: m.index, offset: m.point.address - address })),
      });
      cur = null;
    };
    for (const it of items) {
      const a = it.point.address;
      const end = a + pointWidth(it.point);
      if (cur && a - cur.end <= maxGap && Math.max(cur.end, end) - cur.address <= max) {
        cur.end = Math.max(cur.end, end);
        cur.members.push(it);
      } else {
        flush();
        cur = { address: a, end, members: [it] };
      }
    }
    flush();
  }
  return out;
}
