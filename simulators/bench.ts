/**
 * Simulator throughput check: `node --import tsx simulators/bench.ts [stations] [conns] [seconds]`.
 * Model advance time per simulated second, then Modbus requests/s with modbus-serial clients
 * (gateway layout, 3-zone template, one holding read of the first 122 registers per request).
 */
import M from 'modbus-serial';
import { startSimulator } from './index.ts';

const ModbusRTU = (M as any).default ?? M;
const stations = Number(process.argv[2] ?? 5000);
const conns = Number(process.argv[3] ?? 4);
const seconds = Number(process.argv[4] ?? 5);

const t0 = performance.now();
const sim = await startSimulator({ stations, modbusPort: 0, controlPort: 0, layout: 'gateway', template: 'hs-plc-3zone' });
console.log(`start ${stations} stations: ${(performance.now() - t0).toFixed(0)} ms`);
const net = sim.network;
let a = performance.now();
net.advance(net.timeMs + 30_000);
console.log(`model advance: ${((performance.now() - a) / 30).toFixed(1)} ms per simulated second (${stations} × ${net.pointIds.length} points)`);

const clients = [];
for (let i = 0; i < conns; i++) {
  const c = new ModbusRTU();
  const st = sim.stations[Math.floor((i * stations) / conns)];
  await c.connectTCP(st.host, { port: st.port });
  c.setTimeout(2000);
  clients.push({ c, port: st.port });
}
let n = 0;
a = performance.now();
await Promise.all(
  clients.map(async ({ c, port }) => {
    const units = sim.stations.filter((s) => s.port === port);
    let k = 0;
    while (performance.now() - a < seconds * 1000) {
      c.setID(units[k++ % units.length].unit);
      await c.readHoldingRegisters(0, 122);
      n++;
    }
  }),
);
console.log(`modbus: ${Math.round(n / ((performance.now() - a) / 1000))} req/s over ${conns} connections (122 holding registers each)`);
for (const { c } of clients) c.close(() => {});
await sim.stop();
