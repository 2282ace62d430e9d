// OPC UA end-to-end tests over real loopback OPC UA against the simulator's server.
// One simulator (one OPC UA server start, plus one restart in the last test) for the file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulators/index.ts';
import { parseConfigText } from '../../src/config/load.ts';
import type { OpcuaDeviceSpec } from '../../src/config/resolve.ts';
import { OpcuaAdapter, type OpcuaAdapterOptions } from '../../src/adapters/opcua/adapter.ts';
import type { DeviceAlarmEvent } from '../../src/adapters/opcua/conditions.ts';
import type { DeviceStatus, Sample } from '../../src/model.ts';
import { browseToYaml } from '../../src/cli/browse.ts';
import { trustServer } from '../../src/cli/trust.ts';
import { runCheckConfig } from '../../src/cli/check-config.ts';
import { waitFor } from '../helpers/wait.ts';

const log = pino({ level: process.env.TEST_LOG ?? 'silent' });
let sim: Simulator;
let dir: string;
const adapters: OpcuaAdapter[] = [];

/** Collects what an adapter hands to its sink. */
class Recorder {
  samples: Sample[] = [];
  statuses: DeviceStatus[] = [];
  alarms: DeviceAlarmEvent[] = [];
  sink = { samples: (b: Sample[]) => this.samples.push(...b), status: (s: DeviceStatus) => this.statuses.push(s) };
  latest(point: string): Sample | undefined {
    for (let i = this.samples.length - 1; i >= 0; i--) if (this.samples[i].point === point) return this.samples[i];
    return undefined;
  }
  goodSince(point: string, t: number): Sample | undefined {
    return this.samples.find((s) => s.point === point && s.quality === 'good' && s.ts >= t - 2000 && s.value !== null);
  }
  comm(): string | undefined {
    return this.statuses[this.statuses.length - 1]?.comm;
  }
}

/** One opcua device of the simulator's own generated config, with changes. */
function deviceFor(station: string, yamlPatch: Record<string, unknown> = {}, extraPoints: Array<{ id: string; nodeId: string }> = []): OpcuaDeviceSpec {
  const cfg = parseConfigText(sim.configYaml({ pollMs: 500 }));
  const st = cfg.stations.find((s) => s.id === station)!;
  const d = st.devices[0] as OpcuaDeviceSpec;
  return {
    ...d,
    points: [...d.points, ...extraPoints],
    opcua: { ...d.opcua, ...(yamlPatch as Partial<OpcuaDeviceSpec['opcua']>) },
  };
}

function start(devices: OpcuaDeviceSpec[], rec: Recorder, extra: Partial<OpcuaAdapterOptions> = {}, pkiDir = join(dir, 'pki')): OpcuaAdapter {
  const a = new OpcuaAdapter({ devices, sink: rec.sink, logger: log, pkiDir, onDeviceAlarm: (ev) => rec.alarms.push(ev), ...extra });
  adapters.push(a);
  void a.start();
  return a;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-opcua-'));
  sim = await startSimulator({
    stations: 4,
    controlPort: 0,
    tickMs: 250,
    opcua: { port: 0, pkiDir: join(dir, 'sim-pki'), users: { operator: 'secret-1' } },
  });
}, 60_000);

afterAll(async () => {
  for (const a of adapters) await a.stop();
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('OPC UA adapter against the simulator', () => {
  it('delivers values through subscriptions; an unknown node id is bad while the rest are good', async () => {
    const rec = new Recorder();
    const d = deviceFor('hs-001', {}, [{ id: 'ghost', nodeId: 'ns=1;s=hs-001.no_such_point' }]);
    const a = start([d], rec);
    await waitFor(() => rec.samples.filter((s) => s.point === 'hs-001.plc.t_sec_supply' && s.quality === 'good').length >= 2, 20_000, 'two notifications of t_sec_supply');
    const t = rec.latest('hs-001.plc.t_sec_supply')!;
    expect(typeof t.value).toBe('number');
    expect(Math.abs((t.value as number) - (sim.network.readPoint(0, 't_sec_supply') as number))).toBeLessThan(5);
    expect(rec.latest('hs-001.plc.pump1_run')).toMatchObject({ quality: 'good', value: true });
    expect(rec.latest('hs-001.plc.ghost')).toMatchObject({ quality: 'bad', value: null });
    expect(rec.comm()).toBe('online');
    const c = a.counters()[0];
    expect(c.unknownPoints).toBe(1);
    expect(c.notifications).toBeGreaterThan(0);
    await a.stop();
  });

  it('trigger StatusValueTimestamp reports an unchanged value at every model step; the default reports it once', async () => {
    const only = (d: OpcuaDeviceSpec): OpcuaDeviceSpec => ({ ...d, points: d.points.filter((p) => p.id === 'door' || p.id === 't_outdoor') });
    const rec = new Recorder();
    const a = start([only(deviceFor('hs-003', { trigger: 'StatusValueTimestamp' }))], rec);
    const doors = () => rec.samples.filter((s) => s.point === 'hs-003.plc.door');
    await waitFor(() => new Set(doors().map((s) => s.ts)).size >= 3, 20_000, 'three time-stamped samples of an unchanged point');
    expect(doors().every((s) => s.value === false && s.quality === 'good')).toBe(true);
    await a.stop();
    const rec2 = new Recorder();
    const b = start([only(deviceFor('hs-003'))], rec2);
    await waitFor(() => rec2.samples.filter((s) => s.point === 'hs-003.plc.t_outdoor').length >= 4, 20_000, 'four changes of t_outdoor');
    // initial Read + the subscription's first value; no more while it stays false
    expect(rec2.samples.filter((s) => s.point === 'hs-003.plc.door').length).toBeLessThanOrEqual(2);
    await b.stop();
  });

  it('delivers values in poll mode (batched Read every pollMs)', async () => {
    const rec = new Recorder();
    const a = start([{ ...deviceFor('hs-002', { mode: 'poll' }), pollMs: 300 }], rec);
    await waitFor(() => a.counters()[0].polls >= 4, 20_000, 'four polls');
    const polled = rec.samples.filter((s) => s.point === 'hs-002.plc.t_outdoor');
    expect(polled.length).toBeGreaterThanOrEqual(4);
    expect(polled.every((s) => s.quality === 'good' && typeof s.value === 'number')).toBe(true);
    expect(a.counters()[0].notifications).toBe(0);
    await a.stop();
  });

  it('SignAndEncrypt with username works once the server certificate is trusted; a wrong password is a clear error', async () => {
    const good = new Recorder();
    const secure = { securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', username: 'operator', password: 'secret-1', serverCertificate: sim.opcua!.certificateFile };
    const a = start([deviceFor('hs-003', secure)], good);
    await waitFor(() => good.goodSince('hs-003.plc.t_sec_supply', 0), 30_000, 'a value over SignAndEncrypt');
    expect(good.comm()).toBe('online');

    const bad = new Recorder();
    const b = start([deviceFor('hs-003', { ...secure, password: 'wrong' })], bad);
    const st = await waitFor(() => bad.statuses.find((s) => s.comm === 'offline'), 30_000, 'offline status');
    expect(st.error).toMatch(/login as 'operator' rejected by the server \(Bad\w+\): wrong username or password/);
    expect(b.counters()[0].lastError).toMatch(/wrong username or password/);
    expect(bad.samples.filter((s) => s.quality === 'good')).toHaveLength(0);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('never trusts a server certificate by itself; `heatwatch trust` stores it explicitly', async () => {
    const pki = join(dir, 'pki-trust');
    const rec = new Recorder();
    const dev = deviceFor('hs-003', { securityMode: 'Sign', securityPolicy: 'Basic256Sha256' });
    const a = start([dev], rec, {}, pki);
    const st = await waitFor(() => rec.statuses.find((s) => s.comm === 'offline'), 30_000, 'untrusted certificate refused');
    expect(st.error).toMatch(/server certificate is not trusted.*heatwatch trust/);
    await a.stop();

    const r = await trustServer(sim.opcua!.endpointUrl, pki);
    expect(r.thumbprint).toMatch(/^[0-9a-f]{40}$/);
    const rec2 = new Recorder();
    const b = start([dev], rec2, {}, pki);
    await waitFor(() => rec2.goodSince('hs-003.plc.t_outdoor', 0), 30_000, 'a value over Sign after trust');
    await b.stop();
  });

  it('imports a device-side condition as an alarm event, and an acknowledge reaches the server', async () => {
    const rec = new Recorder();
    const a = start([deviceFor('hs-004')], rec);
    await waitFor(() => a.counters()[0].comm === 'online', 20_000, 'online');
    sim.setFault('hs-004', 'pump_trip', true);
    const ev = await waitFor(() => rec.alarms.find((e) => e.conditionId === 'ns=1;s=hs-004.alarm.pump1_trip' && e.active && !e.acked), 20_000, 'active pump trip event');
    expect(ev).toMatchObject({ source: 'device', station: 'hs-004', device: 'plc', severity: 800 });
    expect(ev.eventId).toMatch(/^[0-9a-f]+$/);
    expect(ev.message).toContain('pump 1 tripped');
    expect(sim.opcua!.condition('hs-004', 'pump1_trip')).toMatchObject({ active: true, acked: false });

    await a.acknowledge('hs-004', 'plc', ev.conditionId, 'crew dispatched', 'dispatcher-1');
    await waitFor(() => sim.opcua!.condition('hs-004', 'pump1_trip').acked, 10_000, 'AckedState true on the server');
    expect(sim.opcua!.condition('hs-004', 'pump1_trip').lastComment).toBe('crew dispatched (dispatcher-1)');
    await waitFor(() => rec.alarms.find((e) => e.conditionId === ev.conditionId && e.active && e.acked), 10_000, 'acked event back');
    sim.setFault('hs-004', 'pump_trip', false);
    await waitFor(() => rec.alarms.find((e) => e.conditionId === ev.conditionId && !e.active), 10_000, 'return to normal event');
    await a.stop();
  });

  it('browse output passes check-config as printed and polls successfully', async () => {
    const r = await browseToYaml({ endpoint: sim.opcua!.endpointUrl, root: 'ns=1;s=hs-002', station: 'hs-002', pkiDir: join(dir, 'pki') });
    expect(r.points).toBeGreaterThanOrEqual(32);
    const file = join(dir, 'browsed.yaml');
    writeFileSync(file, r.yaml);
    expect(runCheckConfig(file)).toBe(0);
    const cfg = parseConfigText(r.yaml);
    const dev = cfg.stations[0].devices[0] as OpcuaDeviceSpec;
    expect(dev.points.find((p) => p.id === 't_sec_supply')).toMatchObject({ nodeId: 'ns=1;s=hs-002.t_sec_supply', unit: 'degC' });
    const rec = new Recorder();
    const a = start([{ ...dev, opcua: { ...dev.opcua, mode: 'poll' }, pollMs: 300 }], rec);
    await waitFor(() => a.counters()[0].polls >= 2, 20_000, 'two polls of the browsed device');
    const last = rec.samples.slice(-dev.points.length);
    expect(last.filter((s) => s.quality === 'good').length).toBe(dev.points.length);
    await a.stop();
  });

  it('goes offline after the comm-loss window when the gateway reports no communication, and back online', async () => {
    const rec = new Recorder();
    const a = start([deviceFor('hs-001')], rec, { commLossMs: () => 2000 });
    await waitFor(() => rec.comm() === 'online', 20_000, 'online');
    sim.setFault('hs-001', 'comm_loss', true);
    await waitFor(() => rec.latest('hs-001.plc.t_sec_supply')?.quality === 'bad', 10_000, 'bad values');
    const off = await waitFor(() => rec.statuses.find((s) => s.comm === 'offline'), 15_000, 'offline after the window');
    expect(off.error).toMatch(/no good data for \d+ s/);
    sim.setFault('hs-001', 'comm_loss', false);
    await waitFor(() => rec.comm() === 'online', 15_000, 'online again');
    await a.stop();
  });

  it('resumes values after the server restarts, without restarting the adapter', async () => {
    const rec = new Recorder();
    const a = start([deviceFor('hs-002'), deviceFor('hs-003', { mode: 'poll' })], rec);
    await waitFor(() => rec.goodSince('hs-002.plc.t_outdoor', 0) && rec.goodSince('hs-003.plc.t_outdoor', 0), 20_000, 'values before the restart');
    await sim.opcua!.stop();
    const bad = (point: string) => rec.latest(point)?.quality === 'bad';
    await waitFor(() => bad('hs-002.plc.t_outdoor') && bad('hs-003.plc.t_outdoor'), 15_000, 'bad values after the server stopped');
    // a good value recorded after both went bad can only come from the restarted server
    // (the server's own timestamps say nothing about which run of it sent a value)
    const mark = rec.samples.length;
    const goodAfterRestart = (point: string) => rec.samples.slice(mark).some((s) => s.point === point && s.quality === 'good');
    await sim.opcua!.start();
    await waitFor(() => goodAfterRestart('hs-002.plc.t_outdoor'), 30_000, 'subscription values after the restart');
    await waitFor(() => goodAfterRestart('hs-003.plc.t_outdoor'), 30_000, 'polled values after the restart');
    await waitFor(() => a.counters().every((c) => c.connection === 'up' && c.comm === 'online'), 10_000, 'connection up');
    await a.stop();
  }, 90_000);
});
