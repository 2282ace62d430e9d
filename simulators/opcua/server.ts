/**
 * OPC UA face of the substation simulator: one node-opcua server exposing the stations it is
 * given as `Objects/Stations/<station>/<point>` (string node ids `ns=1;s=<station>.<point>`),
 * driven by the same {@link Network} as the Modbus server, plus OPC UA Part 9 conditions
 * (conditions.ts: a limit alarm on the secondary supply temperature, an off-normal alarm on
 * pump 1's fault).
 *
 * Faults: `comm_loss`, `power_loss` and a scheduled outage (model operations) make the station's
 * variables `BadNoCommunication` (a gateway whose PLC stopped answering), `garbage` makes them `UncertainSensorNotAccurate`;
 * the physical faults come from the model itself.
 *
 * Security: None, Sign and SignAndEncrypt with Basic256Sha256 (and None policy for None);
 * anonymous unless `allowAnonymous: false`, optional username/password list. The simulator
 * accepts every client certificate (it is a test peer, not a plant); its own certificate and
 * PKI live under `pkiDir`, never in the home directory.
 *
 * @example
 * const ua = new OpcuaSimServer({ network, stations, template, port: 0, pkiDir: 'data/sim-pki' });
 * await ua.start(); ua.endpointUrl; // opc.tcp://127.0.0.1:PORT
 * ua.update();  // after network.advance(): fault status, alarm inputs, conditions
 *
 * Values: point variables are bound with a getter (`bindVariable({ timestamped_get })`) that
 * reads the model at the current step (source timestamp = model time), cached per step; only
 * the two alarm inputs per station are pushed every tick. Pushing ~24,000 variables a tick
 * and then sampling them again cost more than the whole subscription traffic.
 * await ua.stop();
 */
import { join } from 'node:path';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import {
  AccessRestrictionsFlag,
  allPermissions,
  coerceNodeId,
  DataType,
  DataValue,
  MessageSecurityMode,
  SecurityPolicy,
  StatusCodes,
  Variant,
  WellKnownRoles,
  type StatusCode,
} from 'node-opcua-client';
import { OPCUAServer } from 'node-opcua-server';
import type { TemplateConfig } from '../../src/config/schema.ts';
import type { Network } from '../model.ts';
import { addStationConditions, conditionState, SIM_ALARMS, type SimAlarm, type SimAlarmName, type SimConditionState } from './conditions.ts';

export interface OpcuaSimStation {
  index: number;
  id: string;
  name: string;
}

export interface OpcuaSimOptions {
  network: Network;
  stations: OpcuaSimStation[];
  template: TemplateConfig;
  /** 0 = an ephemeral port (chosen once; restarts reuse it) */
  port: number;
  host?: string;
  /** the server's PKI folder (own certificate, trusted/rejected clients) */
  pkiDir: string;
  /** username → password; when set, these logins are accepted */
  users?: Record<string, string>;
  /** default true */
  allowAnonymous?: boolean;
}

type AnyVar = {
  setValueFromSource(v: Variant, sc?: StatusCode, ts?: Date): void;
  setRolePermissions(rp: Array<{ roleId: unknown; permissions: number }>): void;
  setAccessRestrictions(flags: number): void;
  bindVariable(options: { timestamped_get: (cb: (err: Error | null, dv: DataValue) => void) => void }, overwrite?: boolean): void;
};

/**
 * One served point. Alarm inputs are pushed every tick (`setValueFromSource`: node-opcua's
 * conditions listen for value changes); every other point is bound with a getter that reads
 * the model when a client samples or reads it, cached per model step, so a tick costs nothing
 * for points nobody watches and one DataValue per step for points somebody does.
 */
interface PointNode {
  id: string;
  v: AnyVar;
  bool: boolean;
  /** pushed every tick (alarm input) instead of read on demand */
  push: boolean;
  /** the reading held while the station's status is not good (comm loss, garbage) */
  last: number | boolean | null;
  /** cache of the getter: the DataValue of model step `step` under status `sc` */
  step: number;
  sc: StatusCode | null;
  dv: DataValue | null;
}

interface StationNodes {
  index: number;
  vars: PointNode[];
  alarms: Map<SimAlarmName, SimAlarm>;
  lastStatus: StatusCode;
}

export class OpcuaSimServer {
  private server: OPCUAServer | null = null;
  private nodes: StationNodes[] = [];
  private port: number;
  private readonly host: string;

  constructor(private readonly opts: OpcuaSimOptions) {
    this.port = opts.port;
    this.host = opts.host ?? '127.0.0.1';
  }

  get endpointUrl(): string {
    return `opc.tcp://${this.host}:${this.port}`;
  }

  get running(): boolean {
    return this.server !== null;
  }

  /** PEM file of the server's own certificate (what `heatwatch trust` would fetch). */
  get certificateFile(): string {
    return join(this.opts.pkiDir, 'own', 'certs', 'certificate.pem');
  }

  async start(): Promise<void> {
    if (this.server) return;
    if (this.port === 0) this.port = await freePort(this.host);
    const pki = this.opts.pkiDir;
    const serverCertificateManager = new OPCUACertificateManager({ rootFolder: pki, automaticallyAcceptUnknownCertificate: true });
    const userCertificateManager = new OPCUACertificateManager({ rootFolder: join(pki, 'users'), automaticallyAcceptUnknownCertificate: true });
    await serverCertificateManager.initialize();
    await userCertificateManager.initialize();
    const users = this.opts.users ?? {};
    const server = new OPCUAServer({
      port: this.port,
      hostname: this.host,
      alternateHostname: [this.host],
      resourcePath: '',
      serverCertificateManager,
      userCertificateManager,
      certificateFile: this.certificateFile,
      privateKeyFile: join(pki, 'own', 'private', 'private_key.pem'),
      securityModes: [MessageSecurityMode.None, MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt],
      securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
      allowAnonymous: this.opts.allowAnonymous ?? true,
      userManager: { isValidUser: (u: string, p: string) => Object.hasOwn(users, u) && users[u] === p },
      maxConnectionsPerEndpoint: 2000,
      serverCapabilities: { maxSessions: 2000, maxSubscriptionsPerSession: 100 },
      buildInfo: { productName: 'heatwatch substation simulator', manufacturerName: 'heatwatch' },
      serverInfo: { applicationName: { text: 'heatwatch-sim' }, applicationUri: 'urn:heatwatch:simulator' },
    });
    await server.initialize();
    this.buildAddressSpace(server);
    await server.start();
    this.server = server;
    this.update();
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = null;
    this.nodes = [];
    await s.shutdown(0);
  }

  /**
   * After `network.advance()`: works out each station's status (fault codes), pushes the alarm
   * inputs (which evaluates the conditions) and invalidates nothing else — the getter-bound
   * points read the model on demand, keyed by the model step.
   */
  update(): void {
    if (!this.server) return;
    const net = this.opts.network;
    const ts = new Date(net.timeMs);
    for (const st of this.nodes) {
      const sc = this.statusOf(st.index);
      // a status that is not good is set once: the values stand still meanwhile (and node-opcua's
      // limit alarm refuses to re-signal the same "input not good" state)
      if (sc !== StatusCodes.Good && sc === st.lastStatus) continue;
      const changed = sc !== st.lastStatus;
      st.lastStatus = sc;
      const lost = sc === StatusCodes.BadNoCommunication;
      for (const p of st.vars) {
        if (!p.push) {
          // a status that is not good holds the readings of the moment it began
          if (changed && sc !== StatusCodes.Good) {
            p.last = net.readPoint(st.index, p.id);
            p.dv = null;
          }
          continue;
        }
        const value = lost ? p.last : net.readPoint(st.index, p.id);
        if (value === null) {
          try {
            p.v.setValueFromSource(new Variant({ dataType: p.bool ? DataType.Boolean : DataType.Double, value: p.bool ? false : 0 }), sc, ts);
          } catch {
            // see below
          }
          continue;
        }
        p.last = value;
        try {
          p.v.setValueFromSource(this.variant(p, value), sc, ts);
        } catch {
          // node-opcua's limit alarm throws when a re-evaluation changes nothing it reports
          // (e.g. a bad-status update at the same value); the value itself is stored
        }
      }
    }
  }

  private statusOf(s: number): StatusCode {
    const net = this.opts.network;
    if (net.isOffline(s) || net.hasFault(s, 'power_loss')) return StatusCodes.BadNoCommunication;
    return net.hasFault(s, 'garbage') ? StatusCodes.UncertainSensorNotAccurate : StatusCodes.Good;
  }

  private variant(p: PointNode, value: number | boolean): Variant {
    return p.bool ? new Variant({ dataType: DataType.Boolean, value: Boolean(value) }) : new Variant({ dataType: DataType.Double, value: Number(value) });
  }

  /** The getter of a point: the model's reading at the current step (cached per step and status). */
  private read(st: StationNodes, p: PointNode): DataValue {
    const net = this.opts.network;
    const sc = st.lastStatus;
    const held = sc !== StatusCodes.Good;
    // a held value stands still (value and timestamp) until the status changes
    if (p.dv && p.sc === sc && (held || p.step === net.step)) return p.dv;
    let value: number | boolean | null = held ? p.last : net.readPoint(st.index, p.id);
    if (value === null) value = p.bool ? false : 0;
    p.dv = new DataValue({ value: this.variant(p, value), statusCode: sc, sourceTimestamp: new Date(net.timeMs), serverTimestamp: new Date() });
    p.step = net.step;
    p.sc = sc;
    return p.dv;
  }

  /** State of one simulated condition (`t_sec_supply` or `pump1_trip`) of a station. */
  condition(stationId: string, alarm: SimAlarmName): SimConditionState {
    const i = this.opts.stations.findIndex((s) => s.id === stationId);
    const a = i >= 0 ? this.nodes[i]?.alarms.get(alarm) : undefined;
    if (!a) throw new Error(`no OPC UA condition ${alarm} for station '${stationId}'`);
    return conditionState(stationId, alarm, a);
  }

  private buildAddressSpace(server: OPCUAServer): void {
    const addressSpace = server.engine.addressSpace!;
    addressSpace.installAlarmsAndConditionsService();
    const ns = addressSpace.getOwnNamespace();
    const objects = addressSpace.rootFolder.objects;
    const serverObject = objects.server;
    const stationsFolder = ns.addFolder(objects, { browseName: 'Stations', nodeId: 's=Stations' });
    const points = this.opts.template.points;
    const pushed = new Set<string>(['t_sec_supply', SIM_ALARMS.pump1_trip.input]);
    // every session is evaluated with the Anonymous role among its roles
    const everything = [{ roleId: coerceNodeId(WellKnownRoles.Anonymous), permissions: allPermissions }];
    this.nodes = this.opts.stations.map((st) => {
      const obj = ns.addObject({
        browseName: st.id,
        displayName: `${st.id} ${st.name}`,
        nodeId: `s=${st.id}`,
        organizedBy: stationsFolder,
        notifierOf: serverObject,
        eventNotifier: 1,
      });
      const byId = new Map<string, unknown>();
      const vars = points.map((p) => {
        const bool = p.type === 'bool';
        const common = {
          componentOf: obj,
          browseName: p.id,
          displayName: p.name ?? p.id,
          nodeId: `s=${st.id}.${p.id}`,
          minimumSamplingInterval: 100,
          eventSourceOf: obj,
        };
        const v =
          !bool && p.unit
            ? ns.addAnalogDataItem({
                ...common,
                dataType: 'Double',
                engineeringUnitsRange: { low: -1e6, high: 1e6 },
                engineeringUnits: { unitId: -1, displayName: { text: p.unit }, description: { text: p.unit } },
              })
            : ns.addVariable({ ...common, dataType: bool ? 'Boolean' : 'Double' });
        byId.set(p.id, v);
        return { id: p.id, v: v as unknown as AnyVar, bool, push: pushed.has(p.id), last: null, step: -1, sc: null, dv: null } as PointNode;
      });
      const alarms = addStationConditions(ns, obj, st.id, byId);
      const node: StationNodes = { index: st.index, vars, alarms, lastStatus: StatusCodes.Good as StatusCode };
      for (const p of vars) {
        // what the namespace (no policy) gives anyway, stated on the node: otherwise every
        // sample looks the policy up through Server/Namespaces (~20 % of the server's CPU)
        p.v.setRolePermissions(everything);
        p.v.setAccessRestrictions(AccessRestrictionsFlag.None);
        if (!p.push) p.v.bindVariable({ timestamped_get: (cb) => cb(null, this.read(node, p)) }, true);
      }
      return node;
    });
  }
}

/** An ephemeral port that is free now (the server needs a fixed port to restart on). */
async function freePort(host: string): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
