import M from 'modbus-serial';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.ts';
import { startSimulator, type Simulator } from '../../simulators/index.ts';
import { waitFor } from '../helpers/wait.ts';

const ModbusRTU = (M as any).default ?? M;
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function sim(opts: Parameters<typeof startSimulator>[0]): Promise<Simulator> {
  const s = await startSimulator({ modbusPort: 0, controlPort: 0, seed: 3, ...opts });
  cleanups.push(() => s.stop());
  return s;
}
async function client(port: number, unit: number, timeoutMs = 2000): Promise<any> {
  const c = new ModbusRTU();
  await c.connectTCP('127.0.0.1', { port });
  c.setID(unit);
  c.setTimeout(timeoutMs);
  cleanups.push(() => new Promise<void>((r) => c.close(() => r())));
  return c;
}
const cdab = (w: number[]) => {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(w[1], 0);
  b.writeUInt16BE(w[0], 2);
  return b.readFloatBE(0);
};

describe('simulator over real Modbus TCP', () => {
  it('per-station layout: registers decode to the model values', async () => {
    const s = await sim({ stations: 3, layout: 'per-station' });
    expect(new Set(s.stations.map((x) => x.port)).size).toBe(3);
    expect(s.stations.map((x) => x.id)).toEqual(['hs-001', 'hs-002', 'hs-003']);
    const st = s.stations[1];
    const c = await client(st.port, st.unit);
    const { data } = await c.readHoldingRegisters(0, 36);
    const model = s.network.readPoint(st.index, 't_sec_supply') as number;
    expect(cdab(data.slice(4, 6))).toBeCloseTo(model, 0); // t_sec_supply: float32 CDAB at 4
    expect(data[10] / 1000).toBeCloseTo(s.network.readPoint(st.index, 'p_sec_supply') as number, 1);
    expect(data.slice(16, 20)).toEqual([0, 0, 0, 0]); // gap inside the span
    const coils = await c.readCoils(0, 2);
    expect(coils.data.slice(0, 2)).toEqual([true, false]);
    const di = await c.readDiscreteInputs(0, 11);
    expect(di.data.slice(8, 11)).toEqual([false, false, true]); // flood, door, power_ok
    await expect(c.readHoldingRegisters(500, 4)).rejects.toMatchObject({ modbusCode: 2 });
    // write: stop pump 1 through its coil; the run feedback follows
    await c.writeCoil(0, false);
    await waitFor(async () => (await c.readDiscreteInputs(0, 1)).data[0] === false, 5000, 'pump 1 stops');
  });

  it('gateway layout: units, unknown unit 0x0B, comm_loss and garbage', async () => {
    const s = await sim({ stations: 250, layout: 'gateway' });
    expect(new Set(s.stations.map((x) => x.port)).size).toBe(2);
    expect(s.stations[247]).toMatchObject({ id: 'hs-248', unit: 1 });
    const [a, b] = s.stations;
    expect(b.port).toBe(a.port);
    // a short timeout only where a request is meant to go unanswered (comm_loss), so the test
    // is quick; requests meant to be answered get the default, so a busy machine cannot fail them
    const ca = await client(a.port, a.unit, 400);
    const cb = await client(b.port, b.unit);
    const tIn = await cb.readInputRegisters(0, 1);
    expect((tIn.data[0] << 16 >> 16) / 10).toBeCloseTo(s.network.readPoint(b.index, 't_outdoor') as number, 0);
    const cx = await client(a.port, 249);
    await expect(cx.readHoldingRegisters(0, 2)).rejects.toMatchObject({ modbusCode: 0x0b });

    s.setFault(a.id, 'comm_loss', true);
    await expect(ca.readHoldingRegisters(0, 2)).rejects.toThrow(/timed out/i);
    expect((await cb.readHoldingRegisters(0, 2)).data).toHaveLength(2); // same port, other unit answers
    s.setFault(a.id, 'comm_loss', false);
    ca.setTimeout(2000);
    await waitFor(async () => (await ca.readHoldingRegisters(0, 2)).data.length === 2, 5000, 'unit answers again');

    s.setFault(b.id, 'garbage', true);
    cb.setTimeout(400); // malformed replies may end in a timeout: only the rejection matters
    for (let i = 0; i < 4; i++) await expect(cb.readHoldingRegisters(0, 2)).rejects.toBeDefined();
    s.setFault(b.id, 'garbage', false);
  });

  it('config YAML parses and polls exactly these stations', async () => {
    const s = await sim({ stations: 4, template: 'hs-plc-3zone' });
    const cfg = parseConfigText(s.configYaml({ pollMs: 2000 }));
    expect(cfg.stations.map((x) => x.id)).toEqual(s.stations.map((x) => x.id));
    const d = cfg.stations[2].devices[0];
    expect(d).toMatchObject({ protocol: 'modbus', port: s.stations[2].port, unit: 1, pollMs: 2000 });
    expect(d.points.length).toBe(122);
    expect(cfg.stations[0].curve?.length).toBe(5);
    expect(cfg.tokens.map((t) => t.token)).toEqual(['demo-read', 'demo-operator']);
  });

  it('control API: stations, faults, 400 naming the field, 404', async () => {
    const s = await sim({ stations: 3 });
    const post = (body: unknown) =>
      fetch(`${s.controlUrl}/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const bad = await post({ station: 'hs-001', fault: 'meteor', active: true });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ field: 'fault' });
    expect((await post({ station: 'hs-001', fault: 'leak', active: 'yes' })).status).toBe(400);
    expect((await post({ station: 'hs-404', fault: 'leak', active: true })).status).toBe(404);
    const ok = await post({ station: 'hs-002', fault: 'leak', active: true });
    expect(ok.status).toBe(200);
    expect(await (await fetch(`${s.controlUrl}/faults`)).json()).toEqual({ faults: [{ station: 'hs-002', fault: 'leak' }] });
    const list = (await (await fetch(`${s.controlUrl}/stations`)).json()) as { stations: Array<{ id: string; faults: string[]; endpoint: string }> };
    expect(list.stations[1]).toMatchObject({ id: 'hs-002', faults: ['leak'], endpoint: `modbus+tcp://127.0.0.1:${s.stations[1].port}`, heatingType: 'radiator' });
    expect(await (await fetch(`${s.controlUrl}/operations`)).json()).toEqual({ operations: [] });
    expect((await fetch(`${s.controlUrl}/operations?from=5&to=1`)).status).toBe(400);
  });

  it('with operations: the schedule over the control API, by station id', async () => {
    const s = await sim({ stations: 4, operations: true });
    const from = s.network.timeMs;
    const r = (await (await fetch(`${s.controlUrl}/operations?from=${from}&to=${from + 2 * 86_400_000}`)).json()) as { operations: Array<{ station: string; kind: string }> };
    expect(r.operations.length).toBeGreaterThan(4);
    expect(r.operations).toEqual(s.operations(from, from + 2 * 86_400_000));
    expect(new Set(r.operations.map((o) => o.station))).toEqual(new Set(['hs-001', 'hs-002', 'hs-003', 'hs-004']));
    const list = (await (await fetch(`${s.controlUrl}/stations`)).json()) as { stations: Array<{ staticHead: number[]; pumpHead: number[] }> };
    expect(list.stations[0].staticHead[0]).toBeGreaterThan(0.2);
    expect(list.stations[0].pumpHead[0]).toBeGreaterThanOrEqual(0.15);
  });

  it('a scheduled 4G outage: the station answers nothing on its open connection, the others answer', async () => {
    const now = Date.now();
    const s = await sim({ stations: 2, layout: 'per-station', operations: { kinds: [], extra: [{ kind: 'outage', station: 0, fromMs: now - 60_000, toMs: now + 120_000 }] } });
    expect(s.network.isOffline(0)).toBe(true);
    const quiet = await client(s.stations[0].port, 1, 500);
    await expect(quiet.readHoldingRegisters(0, 2)).rejects.toThrow(/timed out/i);
    const other = await client(s.stations[1].port, 1);
    expect((await other.readHoldingRegisters(0, 2)).data).toHaveLength(2);
  });
});
