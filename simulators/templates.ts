import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { validateConfig } from '../src/config/load.ts';
import type { ModbusPointConfig, TemplateConfig } from '../src/config/schema.ts';

/**
 * Device templates shared by the simulator, the config writer and the tests: one source of
 * truth for the register maps, kept as YAML under `config/templates/`.
 */
export type TemplateName = 'hs-plc' | 'hs-plc-3zone';
export const TEMPLATE_NAMES: readonly TemplateName[] = ['hs-plc', 'hs-plc-3zone'];

const TEMPLATE_DIR = fileURLToPath(new URL('../config/templates/', import.meta.url));

export function templatePath(name: TemplateName): string {
  return `${TEMPLATE_DIR}${name}.yaml`;
}

/** Checks a template with the real config validator (schema plus bit/width rules). Throws ConfigError. */
export function validateTemplate(name: string, t: unknown): TemplateConfig {
  validateConfig(
    {
      templates: { [name]: t },
      stations: [{ id: 'check', devices: [{ id: 'plc', template: name, endpoint: 'modbus+tcp://127.0.0.1:502' }] }],
    },
    `templates/${name}.yaml`,
  );
  return t as TemplateConfig;
}

const cache = new Map<TemplateName, TemplateConfig>();

/**
 * Reads and validates a template from `config/templates/NAME.yaml`.
 * @example const t = loadTemplate('hs-plc'); t.points.length // 34
 */
export function loadTemplate(name: TemplateName): TemplateConfig {
  const hit = cache.get(name);
  if (hit) return hit;
  if (!TEMPLATE_NAMES.includes(name)) throw new Error(`unknown template '${name}' (known: ${TEMPLATE_NAMES.join(', ')})`);
  const t = validateTemplate(name, parse(readFileSync(templatePath(name), 'utf8')));
  cache.set(name, t);
  return t;
}

/** Points of the station as a whole; every other point exists once per exchanger zone. */
export const STATION_POINTS = new Set([
  't_pri_supply',
  'p_pri_supply',
  'p_pri_return',
  't_outdoor',
  'flood',
  'door',
  'power_ok',
  'tank_level',
  't_station_room',
  // one mode selector and one check-in switch per station, whatever its zones
  'attended',
  'station_mode',
]);

/** Extra per-zone diagnostics carried by the larger PLC (addresses relative to the zone block). */
const ZONE_EXTRAS: ModbusPointConfig[] = [
  { id: 'pump1_current', name: '1#循环泵电流', unit: 'A', table: 'holding', address: 40, type: 'uint16', scale: 0.1 },
  { id: 'pump2_current', name: '2#循环泵电流', unit: 'A', table: 'holding', address: 41, type: 'uint16', scale: 0.1 },
  { id: 'pump1_hours', name: '1#循环泵累计运行', unit: 'h', table: 'holding', address: 42, type: 'uint32', order: 'CDAB', scale: 0.1 },
  { id: 'pump2_hours', name: '2#循环泵累计运行', unit: 'h', table: 'holding', address: 44, type: 'uint32', order: 'CDAB', scale: 0.1 },
  { id: 'dp_sec', name: '二次供回水压差', unit: 'MPa', table: 'holding', address: 46, type: 'int16', scale: 0.001 },
  { id: 'dp_filter', name: '除污器压差', unit: 'MPa', table: 'holding', address: 47, type: 'int16', scale: 0.001 },
  { id: 't_approach', name: '换热器端差', unit: 'degC', table: 'holding', address: 48, type: 'int16', scale: 0.01 },
  { id: 't_sec_supply_2', name: '二次供水温度(备用)', unit: 'degC', table: 'holding', address: 50, type: 'float32', order: 'DCBA' },
  { id: 't_sec_return_b1', name: '1#分支回水温度', unit: 'degC', table: 'holding', address: 52, type: 'float32', order: 'ABCD' },
  { id: 't_sec_return_b2', name: '2#分支回水温度', unit: 'degC', table: 'holding', address: 54, type: 'float32', order: 'ABCD' },
  { id: 'p_filter_in', name: '除污器进口压力', unit: 'MPa', table: 'holding', address: 56, type: 'int16', scale: 0.001 },
  { id: 'load_pct', name: '负荷率', unit: '%', table: 'holding', address: 57, type: 'uint16', scale: 0.1 },
  { id: 'makeup_cmd', name: '补水泵启停命令', table: 'coil', address: 4, type: 'bool' },
];

const STATION_EXTRAS: ModbusPointConfig[] = [
  { id: 't_station_room', name: '站内温度', unit: 'degC', table: 'input', address: 8, type: 'int16', scale: 0.1 },
];

/** Address stride of one zone block per table. */
const STRIDE: Record<ModbusPointConfig['table'], number> = { coil: 8, discrete: 16, holding: 64, input: 16 };
export const ZONE_NAMES = ['低区', '中区', '高区', '超高区'];

/** Zone prefix of a point id: '' for zone 1, 'z2_' for zone 2, ... */
export function zonePrefix(zone: number): string {
  return zone === 0 ? '' : `z${zone + 1}_`;
}

/**
 * Builds a multi-zone PLC template from the one-zone one: station points once, zone points
 * (plus diagnostics) once per zone, each zone in its own address block.
 */
export function buildMultiZoneTemplate(base: TemplateConfig, zones: number): TemplateConfig {
  const points: ModbusPointConfig[] = [];
  const zonePoints = [...base.points.filter((p) => !STATION_POINTS.has(p.id)), ...ZONE_EXTRAS];
  for (const p of base.points) if (STATION_POINTS.has(p.id)) points.push({ ...p });
  points.push(...STATION_EXTRAS.map((p) => ({ ...p })));
  for (let z = 0; z < zones; z++) {
    for (const p of zonePoints) {
      points.push({
        ...p,
        id: `${zonePrefix(z)}${p.id}`,
        name: `${ZONE_NAMES[z]}${p.name ?? p.id}`,
        address: p.address + z * STRIDE[p.table],
      });
    }
  }
  return {
    protocol: 'modbus',
    description: `换热站PLC（${zones}个换热机组：${ZONE_NAMES.slice(0, zones).join('/')}）`,
    points,
  };
}

/** Writes `config/templates/hs-plc-3zone.yaml` from `hs-plc.yaml`. Run: `node --import tsx simulators/templates.ts`. */
export function writeThreeZoneTemplate(): string {
  const t = buildMultiZoneTemplate(loadTemplate('hs-plc'), 3);
  validateTemplate('hs-plc-3zone', t);
  const header =
    '# GENERATED by `node --import tsx simulators/templates.ts` from hs-plc.yaml; do not edit by hand.\n' +
    '# Three exchanger zones (低区 / 中区 / 高区): zone 1 ids as in hs-plc, zone 2 and 3 prefixed z2_ / z3_.\n' +
    '# Zone blocks: holding +64, input +16, coil +8, discrete +16 per zone.\n';
  const body =
    `protocol: ${t.protocol}\ndescription: ${t.description}\npoints:\n` +
    t.points.map((p) => `  - ${stringify(p, { collectionStyle: 'flow', lineWidth: 0 }).trim()}\n`).join('');
  const file = templatePath('hs-plc-3zone');
  writeFileSync(file, header + body);
  cache.delete('hs-plc-3zone');
  return file;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`wrote ${writeThreeZoneTemplate()}`);
}
