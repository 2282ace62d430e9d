/**
 * The client over a real socket against a tiny purpose-built peer: register n holds n, address
 * 99 answers late, addresses ≥ 1000 raise exception 2.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ModbusError, ModbusTcpClient } from '../../../src/adapters/modbus/client.ts';
import { waitFor } from '../../helpers/wait.ts';
import { replyTo } from './harness.ts';

const open: Array<() => void> = [];
afterEach(() => {
  while (open.length) open.pop()!();
});

async function peer(lateMs: number): Promise<number> {
  const socks = new Set<net.Socket>();
  const server = net.createServer((s) => {
    socks.add(s);
    s.on('data', (f) => {
      const out = replyTo(f);
      if (f.readUInt16BE(8) === 99) setTimeout(() => s.writable && s.write(out), lateMs);
      else s.write(out);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  open.push(() => {
    for (const s of socks) s.destroy();
    server.close();
  });
  return (server.address() as net.AddressInfo).port;
}

describe('ModbusTcpClient', () => {
  it('reads registers; a late reply after a timeout is never taken for the next answer', async () => {
    const port = await peer(300);
    const c = new ModbusTcpClient();
    open.push(() => void c.close());
    await c.connect('127.0.0.1', port, 1000);
    expect(await c.readHoldingRegisters(1, 10, 3, 500)).toEqual([10, 11, 12]);
    const err = await c.readHoldingRegisters(1, 99, 1, 100).catch((e: ModbusError) => e);
    expect(err).toBeInstanceOf(ModbusError);
    expect((err as ModbusError).kind).toBe('timeout');
    expect((err as ModbusError).message).toBe('timeout after 100 ms');
    // the late [99] arrives while these are in flight; each must still get its own answer
    const t0 = Date.now();
    while (Date.now() - t0 < 500) {
      const n = 5 + ((Date.now() - t0) % 50);
      expect(await c.readInputRegisters(1, n, 1, 500)).toEqual([n]);
    }
    expect(c.isOpen).toBe(true);
  });

  it('classifies a Modbus exception with code and name', async () => {
    const port = await peer(0);
    const c = new ModbusTcpClient();
    open.push(() => void c.close());
    await c.connect('127.0.0.1', port, 1000);
    const err = (await c.readHoldingRegisters(1, 1000, 2, 500).catch((e) => e)) as ModbusError;
    expect([err.kind, err.code, err.message]).toEqual(['exception', 2, 'exception 2 (illegal data address)']);
    expect(await c.readHoldingRegisters(1, 0, 2, 500)).toEqual([0, 1]); // connection still usable
  });

  it('connections share one read buffer: a frame split across reads is kept whole while another connection reads', async () => {
    // each peer sends its reply up to the first register, then the rest when told
    const halves: Array<() => void> = [];
    const server = net.createServer((s) => {
      s.on('data', (f) => {
        const tid = f.readUInt16BE(0), unit = f[6], addr = f.readUInt16BE(8), cnt = f.readUInt16BE(10);
        const out = Buffer.alloc(9 + 2 * cnt);
        out.writeUInt16BE(tid, 0);
        out.writeUInt16BE(3 + 2 * cnt, 4);
        out[6] = unit;
        out[7] = 3;
        out[8] = 2 * cnt;
        for (let i = 0; i < cnt; i++) out.writeUInt16BE(addr + i, 9 + 2 * i);
        s.write(out.subarray(0, 11));
        halves.push(() => s.write(out.subarray(11)));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    open.push(() => server.close());
    const port = (server.address() as net.AddressInfo).port;
    const [a, b] = [new ModbusTcpClient(), new ModbusTcpClient()];
    open.push(() => void a.close(), () => void b.close());
    await a.connect('127.0.0.1', port, 1000);
    await b.connect('127.0.0.1', port, 1000);
    const ra = a.readHoldingRegisters(1, 100, 4, 2000);
    await waitFor(() => halves.length === 1, 2000, 'first half to a');
    const rb = b.readHoldingRegisters(1, 200, 4, 2000);
    await waitFor(() => halves.length === 2, 2000, 'first half to b');
    halves[1]();
    expect(await rb).toEqual([200, 201, 202, 203]);
    halves[0]();
    expect(await ra).toEqual([100, 101, 102, 103]);
  });

  it('connection refused and closed connections are reported, not hung', async () => {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise((r) => s.close(r));
    const c = new ModbusTcpClient();
    const err = (await c.connect('127.0.0.1', port, 1000).catch((e) => e)) as ModbusError;
    expect([err.kind, err.message]).toEqual(['connect', 'connection refused']);

    // a peer that accepts, then closes while a request is pending
    const srv = net.createServer((sock) => sock.on('data', () => sock.destroy()));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    open.push(() => srv.close());
    const closed: ModbusError[] = [];
    c.onClose((e) => closed.push(e));
    await c.connect('127.0.0.1', (srv.address() as net.AddressInfo).port, 1000);
    const t0 = Date.now();
    const e2 = (await c.readCoils(1, 0, 8, 5000).catch((e) => e)) as ModbusError;
    expect(e2.kind).toBe('closed');
    expect(Date.now() - t0).toBeLessThan(1000); // not a 5 s timeout
    expect(closed).toHaveLength(1);
    expect(c.isOpen).toBe(false);
  });
});
