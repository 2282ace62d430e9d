/**
 * Shared by the Modbus adapter integration tests and the Modbus bench: the simulator on
 * ephemeral ports, the adapter with a recording sink, and a switchable TCP forwarder.
 * Everything started here is stopped by {@link runCleanups}.
 */
import net from 'node:net';
import pino from 'pino';
import { reservePort } from '../../helpers/ports.ts';
import { startSimulator } from '../../../simulators/index.ts';
import { ModbusAdapter } from '../../../src/adapters/modbus/adapter.ts';
import { parseConfigText } from '../../../src/config/load.ts';
import type { ModbusDeviceSpec } from '../../../src/config/resolve.ts';
import type { DeviceStatus, Sample } from '../../../src/model.ts';
import type { AdapterSink } from '../../../src/adapters/types.ts';

export type Sim = Awaited<ReturnType<typeof startSimulator>>;
const cleanups: Array<() => Promise<void> | void> = [];
/** Stops everything the helpers started, newest first: `afterEach(runCleanups)`. */
export async function runCleanups(): Promise<void> {
  while (cleanups.length) await cleanups.pop()!();
}

/**
 * A loopback port for a forwarder the test switches on and off: no other test process, and no
 * outgoing connection of the OS, can take it while it is down; released at cleanup.
 */
export async function reservedPort(): Promise<number> {
  const lease = await reservePort();
  cleanups.push(() => lease.release());
  return lease.port;
}

export async function sim(stations: number, layout: 'per-station' | 'gateway' = 'per-station'): Promise<Sim> {
  const s = await startSimulator({ stations, seed: 7, modbusPort: 0, layout, controlPort: 0 });
  cleanups.push(() => s.stop());
  return s;
}

export function devicesOf(s: Sim, over: Partial<ModbusDeviceSpec> = {}): ModbusDeviceSpec[] {
  const cfg = parseConfigText(s.configYaml());
  return cfg.stations
    .flatMap((st) => st.devices)
    .filter((d): d is ModbusDeviceSpec => d.protocol === 'modbus')
    .map((d) => ({ ...d, pollMs: 200, timeoutMs: 500, ...over }));
}

/** Records everything the adapter emits, per device `station/device`. */
export function recorder() {
  const batches = new Map<string, Array<{ at: number; samples: Sample[] }>>();
  const statuses: DeviceStatus[] = [];
  const sink = {
    samples(batch: Sample[]) {
      const [st, dev] = batch[0].point.split('.');
      const k = `${st}/${dev}`;
      if (!batches.has(k)) batches.set(k, []);
      batches.get(k)!.push({ at: Date.now(), samples: batch });
    },
    status(s: DeviceStatus) {
      statuses.push(s);
    },
  };
  const last = (k: string) => batches.get(k)?.at(-1)?.samples;
  const good = (b: Sample[]) => b.every((x) => x.quality === 'good');
  const bad = (b: Sample[]) => b.length > 0 && b.every((x) => x.quality === 'bad' && x.value === null);
  const allGood = (k: string) => !!last(k) && good(last(k)!);
  const allBad = (k: string) => !!last(k) && bad(last(k)!);
  /** batches of `k` so far */
  const count = (k: string) => batches.get(k)?.length ?? 0;
  /** batches of `k` from index `from` on */
  const since = (k: string, from: number) => batches.get(k)?.slice(from) ?? [];
  /**
   * Polls of `k` (from index `from`) whose request stayed unanswered until its timeout: from
   * the poll's start (its samples' ts) to its bad batch. A period skipped in backoff or a poll
   * failed at once on a down link comes back in the same tick, so half the timeout tells them apart.
   */
  const timedOut = (k: string, from: number, timeoutMs: number) =>
    since(k, from)
      .filter((b) => bad(b.samples) && b.at - b.samples[0].ts >= timeoutMs / 2)
      .map((b) => ({ from: b.samples[0].ts, to: b.at }));
  return { sink, batches, statuses, last, good, bad, allGood, allBad, count, since, timedOut };
}

export function logCapture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}

export function adapter(devices: ModbusDeviceSpec[], rec: { sink: AdapterSink }, logger = pino({ level: 'silent' }), now?: () => number) {
  const a = new ModbusAdapter({ devices, sink: rec.sink, logger, ...(now ? { now } : {}) });
  cleanups.push(() => a.stop());
  return a;
}


/** A TCP forwarder on a fixed port that can be switched on and off (kills live connections). */
export function forwarder(port: number, target: { host: string; port: number }) {
  let server: net.Server | null = null;
  const socks = new Set<net.Socket>();
  const api = {
    async up() {
      server = net.createServer((c) => {
        const u = net.connect(target.port, target.host);
        for (const s of [c, u]) {
          socks.add(s);
          s.on('error', () => {});
          s.on('close', () => socks.delete(s));
        }
        c.pipe(u).pipe(c);
        c.on('close', () => u.destroy());
        u.on('close', () => c.destroy());
      });
      await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
    },
    async down() {
      for (const s of socks) s.destroy();
      if (server) await new Promise((r) => server!.close(r));
      server = null;
    },
  };
  cleanups.push(() => api.down());
  return api;
}

/**
 * A test peer's reply to the read request frame at `off` of `f`: register (or bit) n holds n,
 * addresses ≥ 1000 raise exception 2 (illegal data address).
 */
export function replyTo(f: Buffer, off = 0): Buffer {
  const tid = f.readUInt16BE(off), unit = f[off + 6], fc = f[off + 7], addr = f.readUInt16BE(off + 8), cnt = f.readUInt16BE(off + 10);
  const pdu = addr >= 1000 ? Buffer.from([fc | 0x80, 2]) : Buffer.alloc(2 + 2 * cnt);
  if (addr < 1000) {
    pdu[0] = fc;
    pdu[1] = 2 * cnt;
    for (let i = 0; i < cnt; i++) pdu.writeUInt16BE(addr + i, 2 + 2 * i);
  }
  const h = Buffer.alloc(7);
  h.writeUInt16BE(tid, 0);
  h.writeUInt16BE(pdu.length + 1, 4);
  h[6] = unit;
  return Buffer.concat([h, pdu]);
}
