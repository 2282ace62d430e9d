// The register server of `npm run bench -- --only modbus-1s`, in its own process so its CPU is
// not heatwatch's: N devices, each on its own loopback port (a substation PLC has its own address),
// each 100 holding registers = 50 float32 ABCD that move every second. Answers FC3 synchronously
// from a per-device image; anything else gets an exception. Prints one JSON line
// `{"ports":[...]}` when listening; stops on SIGTERM or when stdin closes.
//
//   node --import tsx scripts/bench-modbus-1s-sim.ts --devices 2000
import net from 'node:net';
import { parseArgs } from 'node:util';
import { buildException, EXC, parseFrames } from '../simulators/mbap.ts';

const { values } = parseArgs({ options: { devices: { type: 'string', default: '2000' } } });
const DEVICES = Number(values.devices);
const REGS = 100;
/** plausible values for the points that default alarm rules watch (index = float number), else 10..60 */
const BASE: Record<number, number> = { 0: 105, 1: 55, 2: 55, 3: 45, 4: 0.55, 5: 0.3, 6: 0.9, 7: 0.5, 8: 30, 9: 28, 10: -5, 11: 21, 12: 70 };

const images = Array.from({ length: DEVICES }, () => Buffer.alloc(2 * REGS));
function refresh(): void {
  const t = Date.now() / 1000;
  for (let d = 0; d < DEVICES; d++) {
    const img = images[d];
    for (let j = 0; j < REGS / 2; j++) {
      const base = BASE[j] ?? 10 + j;
      img.writeFloatBE(base + Math.abs(base) * 0.01 * Math.sin(t / 30 + d + j), 4 * j);
    }
  }
}
refresh();
setInterval(refresh, 1000).unref();

let requests = 0;
function serve(sock: net.Socket, img: Buffer): void {
  let rest: Buffer = Buffer.alloc(0);
  sock.setNoDelay(true);
  sock.on('error', () => sock.destroy());
  sock.on('data', (chunk) => {
    const buf = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    const r = parseFrames(buf);
    rest = r.rest;
    if (r.error) return void sock.destroy();
    for (const q of r.requests) {
      requests++;
      if (q.fc !== 3 || !('quantity' in q)) {
        sock.write(buildException(q.tid, q.unit, q.fc, EXC.ILLEGAL_FUNCTION));
        continue;
      }
      if (q.address + q.quantity > REGS) {
        sock.write(buildException(q.tid, q.unit, 3, EXC.ILLEGAL_DATA_ADDRESS));
        continue;
      }
      const n = 2 * q.quantity;
      const b = Buffer.allocUnsafe(9 + n);
      b.writeUInt16BE(q.tid, 0);
      b.writeUInt16BE(0, 2);
      b.writeUInt16BE(3 + n, 4);
      b[6] = q.unit;
      b[7] = 3;
      b[8] = n;
      img.copy(b, 9, 2 * q.address, 2 * q.address + n);
      sock.write(b);
    }
  });
}

const servers: net.Server[] = [];
const ports: number[] = [];
for (let d = 0; d < DEVICES; d++) {
  const img = images[d];
  const srv = net.createServer((s) => serve(s, img));
  await new Promise<void>((res, rej) => {
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => res());
  });
  servers.push(srv);
  ports.push((srv.address() as net.AddressInfo).port);
}
process.stdout.write(JSON.stringify({ ports }) + '\n');
const stop = (): void => {
  process.stderr.write(`register server: ${requests} requests\n`);
  process.exit(0);
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
