import type { Logger } from 'pino';
import { stringify } from 'yaml';
import { buildControlApp } from './control.ts';
import { createNetwork, isFault, type Fault, type ForcedPoint, type Network, type Operation, type OperationsOptions } from './model.ts';
import { ModbusSimServer, type Layout } from './modbus-server.ts';
import { RegisterMap, templateSpecs } from './registers.ts';
import { loadTemplate, type TemplateName } from './templates.ts';
import { opcuaDeviceConfig, servedOverOpcua, startOpcuaSim, type OpcuaSimServer, type SimOpcuaOptions } from './opcua/index.ts';
import { stationId } from './ids.ts';
import { districtOutline } from './model/facts.ts';

export { FAULTS, FORCED_POINTS, PLC_MODES, type Fault, type ForcedPoint, type Operation, type OperationsOptions } from './model.ts';
export { stationId } from './ids.ts';

/** An operation of the schedule with the station's id instead of its index. */
export type SimOperation = Omit<Operation, 'station'> & { station: string };
export type { Layout } from './modbus-server.ts';

export interface SimulatorOptions {
  /** default 20 */
  stations?: number;
  /** default 1 */
  seed?: number;
  /** first Modbus port; 0 = ephemeral ports (default 0 — the CLI passes 5020) */
  modbusPort?: number;
  /** default per-station for ≤ 200 stations, else gateway (247 units per port) */
  layout?: Layout;
  /** default 'hs-plc' */
  template?: TemplateName;
  /** default 8099; 0 = an ephemeral port */
  controlPort?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** model advance period, default 1000 ms (reads also advance the model to now) */
  tickMs?: number;
  /** model time runs this many times faster than the wall clock (default 1); tests use it to see slow faults develop */
  speed?: number;
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** also serve OPC UA (simulators/opcua): port, every Nth station, users, PKI folder */
  opcua?: SimOpcuaOptions;
  /**
   * Run the utility's normal operations (patrols, changeovers, setback, refills, short outages,
   * planned stops…) from the seed; see `network.operations()`. Default off.
   */
  operations?: boolean | OperationsOptions;
}

export interface SimStation {
  index: number;
  /** hs-001 …, zero-padded to at least 3 digits (4 when there are ≥ 1,000 stations) */
  id: string;
  name: string;
  area: string;
  host: string;
  port: number;
  unit: number;
}

export interface Simulator {
  stations: SimStation[];
  controlUrl: string;
  templateName: TemplateName;
  network: Network;
  /** Throws on an unknown station id or fault. */
  setFault(stationId: string, fault: Fault, active: boolean): void;
  faults(): Array<{ station: string; fault: Fault }>;
  /**
   * Forces what the PLC reports for `attended` or `station_mode` (a crew turning the switch by
   * hand); null gives it back to the model. Throws on an unknown station, point or value.
   */
  forcePoint(stationId: string, point: ForcedPoint, value: number | boolean | null): void;
  /** Scheduled normal operations overlapping [fromMs, toMs), with station ids (empty without `operations`). */
  operations(fromMs: number, toMs: number): SimOperation[];
  /**
   * A heatwatch config polling exactly these stations (accepted by parseConfigText). Its tokens are
   * the demo's (`demo-read`, `demo-operator`), which only `heatwatch demo` runs with; give `tokens`
   * for a config that `heatwatch run` accepts.
   */
  configYaml(opts?: { pollMs?: number; tokens?: { read: string; operator: string } }): string;
  /** the OPC UA server when `opcua` was given (stop()/start() it to simulate a restart) */
  opcua: OpcuaSimServer | null;
  stop(): Promise<void>;
}

const AREAS = ['南岗', '道里', '道外', '香坊', '平房', '松北', '呼兰', '阿城'];


/**
 * Starts the substation simulator: model, Modbus TCP server and control API.
 * @example
 * const sim = await startSimulator({ stations: 5, modbusPort: 0, controlPort: 0 });
 * sim.setFault('hs-002', 'leak', true);
 * await sim.stop();
 */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const count = opts.stations ?? 20;
  if (!Number.isInteger(count) || count < 1) throw new Error(`stations must be a whole number ≥ 1, got ${count}`);
  const host = opts.host ?? '127.0.0.1';
  const layout: Layout = opts.layout ?? (count <= 200 ? 'per-station' : 'gateway');
  const templateName = opts.template ?? 'hs-plc';
  const template = loadTemplate(templateName);
  const speed = opts.speed ?? 1;
  if (!(speed >= 1 && speed <= 1000)) throw new Error(`speed must be between 1 and 1000, got ${speed}`);
  const wall0 = Date.now();
  const modelNow = () => wall0 + (Date.now() - wall0) * speed;
  const network = createNetwork({ stations: count, seed: opts.seed ?? 1, template, startMs: wall0, ...(opts.operations ? { operations: opts.operations } : {}) });
  const map = new RegisterMap(templateSpecs(template));
  const server = new ModbusSimServer({ network, map, layout, basePort: opts.modbusPort ?? 0, host, now: modelNow });
  await server.start();
  let opcua: OpcuaSimServer | null = null;
  const tick = setInterval(() => {
    network.advance(modelNow());
    opcua?.update();
  }, opts.tickMs ?? 1000);
  tick.unref();

  const stations: SimStation[] = server.endpoints.map((e) => {
    const area = AREAS[e.station % AREAS.length];
    return {
      index: e.station,
      id: stationId(e.station, count),
      name: `${area}${Math.floor(e.station / AREAS.length) + 1}号站`,
      area: `${area}区`,
      host: e.host,
      port: e.port,
      unit: e.unit,
    };
  });
  const byId = new Map(stations.map((s) => [s.id, s]));

  const setFault = (id: string, fault: Fault, active: boolean): void => {
    const st = byId.get(id);
    if (!st) throw new Error(`unknown station '${id}'`);
    if (!isFault(fault)) throw new Error(`unknown fault '${String(fault)}'`);
    network.advance(modelNow());
    network.setFault(st.index, fault, active);
    opcua?.update();
    opts.logger?.info({ station: id, fault, active }, `fault ${fault} ${active ? 'on' : 'off'} at ${id}`);
  };
  const faults = () => network.faults().map((f) => ({ station: stations[f.station].id, fault: f.fault }));
  const forcePoint = (id: string, point: ForcedPoint, value: number | boolean | null): void => {
    const st = byId.get(id);
    if (!st) throw new Error(`unknown station '${id}'`);
    network.advance(modelNow());
    network.forcePoint(st.index, point, value);
    server.invalidate(st.index);
    opcua?.update();
    opts.logger?.info({ station: id, point, value }, `${point} at ${id} ${value === null ? 'released' : `forced to ${String(value)}`}`);
  };
  const operations = (fromMs: number, toMs: number): SimOperation[] => network.operations(fromMs, toMs).map((o) => ({ ...o, station: stations[o.station].id }));
  const details = (id: string) => {
    const i = network.stationInfo(byId.get(id)!.index);
    return { heatingType: i.heatingType, staticHead: i.staticHead, pumpHead: i.pumpHead };
  };

  const uaEvery = opts.opcua?.every ?? 1;
  if (opts.opcua) opcua = await startOpcuaSim(opts.opcua, network, stations, template, host);
  const app = buildControlApp({ stations, setFault, faults, forcePoint, operations, details, now: () => network.timeMs });
  let controlUrl: string;
  try {
    controlUrl = await app.listen({ port: opts.controlPort ?? 8099, host });
  } catch (err) {
    clearInterval(tick);
    await server.stop();
    await opcua?.stop();
    throw err;
  }
  opts.logger?.info({ stations: count, layout, template: templateName, controlUrl }, 'simulator started');

  const configYaml = (o: { pollMs?: number; tokens?: { read: string; operator: string } } = {}): string => {
    const doc = {
      site: { name: '模拟供热公司 (heatwatch simulator)', timezone: 'Asia/Shanghai' },
      storage: {
        series: { kind: 'sqlite', path: 'data/series.db' },
        state: { kind: 'sqlite', path: 'data/state.db' },
      },
      api: { host: '127.0.0.1', port: 8080 },
      templates: { [templateName]: template },
      stations: stations.map((s) => ({
        id: s.id,
        name: s.name,
        area: s.area,
        curve: network.stationInfo(s.index).curve,
        heatingType: network.stationInfo(s.index).heatingType,
        // the building's static head: the loop is filled 0.05 MPa above it
        staticHeadMPa: network.stationInfo(s.index).staticHead.map((h) => Math.round((h - 0.05) * 1000) / 1000),
        // heated area, system volume, design temperatures, site-plan location (model/facts.ts)
        ...network.stationInfo(s.index).facts,
        devices: [
          opcua && servedOverOpcua(s.index, uaEvery) ? opcuaDeviceConfig(s.id, template, opcua.endpointUrl, o.pollMs) : {
            id: 'plc',
            template: templateName,
            endpoint: `modbus+tcp://${s.host}:${s.port}`,
            unit: s.unit,
            ...(o.pollMs !== undefined ? { pollMs: o.pollMs } : {}),
          },
        ],
      })),
      // what the utility tells heatwatch of its own work: attended hours, and the planned stops
      // (停热计划) announced for the next two weeks
      ...(network.operationsOn
        ? {
            operations: {
              attendedHours: { from: '08:00', to: '18:00' },
              plannedStops: operations(network.timeMs - 86_400_000, network.timeMs + 14 * 86_400_000)
                .filter((op) => op.kind === 'planned_stop')
                .map((op) => ({ stations: [op.station], from: new Date(op.fromMs).toISOString(), to: new Date(op.toMs).toISOString(), reason: '计划停热 (planned stop)' })),
            },
          }
        : {}),
      // the districts' blocks on the site plan the stations' locations are in
      analytics: { districts: AREAS.slice(0, Math.min(AREAS.length, stations.length)).map((a, k) => ({ area: `${a}区`, outline: districtOutline(k) })) },
      auth: {
        tokens: [
          { name: 'viewer', token: o.tokens?.read ?? 'demo-read', role: 'viewer' },
          { name: 'demo-operator', token: o.tokens?.operator ?? 'demo-operator', role: 'operator' },
        ],
      },
    };
    return `# generated by heatwatch sim: ${stations.length} stations, template ${templateName}, ${layout} layout\n${stringify(doc, { lineWidth: 0 })}`;
  };

  return {
    stations,
    controlUrl,
    templateName,
    network,
    setFault,
    faults,
    forcePoint,
    operations,
    configYaml,
    get opcua() {
      return opcua;
    },
    async stop() {
      clearInterval(tick);
      await opcua?.stop();
      await app.close();
      await server.stop();
      opts.logger?.info('simulator stopped');
    },
  };
}
