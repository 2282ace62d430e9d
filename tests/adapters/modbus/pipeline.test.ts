/**
 * Several requests in flight on one connection (`inFlight`), over a real socket against a
 * purpose-built peer that takes every frame of a chunk and answers them in reverse order
 * (Modbus TCP matches replies by transaction id, not by order). Register n holds n; address 99
 * is never answered; addresses ≥ 1000 raise exception 2.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ModbusError, ModbusTcpClient, type ReadSpec } from '../../../src/adapters/modbus/client.ts';
import { waitFor } from '../../helpers/wait.ts';
import { adapter, devicesOf, recorder, replyTo, runCleanups, sim } from './harness.ts';

const open: Array<() => void> = [];
afterEach(async () => {
  while (open.length) open.pop()!();
  await runCleanups();
});

interface Peer {
  port: number;
  /** frames per data chunk the peer received */
  chunks: number[];
  /** replies held back until release() (to answer late) */
  held: Buffer[];
  release(): void;
}

/** The peer's reply to the request at `off`; address 99 is never answered. */
function reply(f: Buffer, off: number): Buffer | null {
  return f.readUInt16BE(off + 8) === 99 ? null : replyTo(f, off);
}

async function peer(opts: { hold?: boolean } = {}): Promise<Peer> {
  const socks = new Set<net.Socket>();
  const p: Peer = { port: 0, chunks: [], held: [], release: () => undefined };
  let last: net.Socket | null = null;
  const server = net.createServer((s) => {
    socks.add(s);
    last = s;
    s.on('data', (chunk) => {
      const out: Buffer[] = [];
      for (let off = 0; off + 12 <= chunk.length; off += 12) {
        const r = reply(chunk, off);
        if (r) out.push(r);
      }
      p.chunks.push(Math.floor(chunk.length / 12));
      out.reverse();
      if (opts.hold) p.held.push(...out);
      else if (out.length) s.write(Buffer.concat(out));
    });
  });
  p.release = () => {
    if (last?.writable && p.held.length) last.write(Buffer.concat(p.held.splice(0)));
  };
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  open.push(() => {
    for (const s of socks) s.destroy();
    server.close();
  });
  p.port = (server.address() as net.AddressInfo).port;
  return p;
}

async function client(port: number): Promise<ModbusTcpClient> {
  const c = new ModbusTcpClient();
  open.push(() => void c.close());
  await c.connect('127.0.0.1', port, 1000);
  return c;
}

type Got = Array<{ tag: number; err: string | null; words: number[] }>;
function collect(into: Got) {
  return (err: ModbusError | null, bytes: Buffer | null, tag: number): void => {
    const words: number[] = [];
    if (bytes) for (let i = 0; i < bytes.length; i += 2) words.push(bytes.readUInt16BE(i));
    into.push({ tag, err: err ? `${err.kind}: ${err.message}` : null, words });
  };
}

const reqs: ReadSpec[] = [
  { table: 'holding', address: 10, count: 2 },
  { table: 'input', address: 20, count: 1 },
  { table: 'holding', address: 30, count: 3 },
];

describe('ModbusTcpClient with several requests in flight', () => {
  it('writes them in one buffer and gives each reply to its own request, whatever the order', async () => {
    const p = await peer();
    const c = await client(p.port);
    const got: Got = [];
    c.readMany(7, reqs, 0, 3, 500, collect(got));
    expect(c.pendingCount).toBe(3);
    await waitFor(() => got.length === 3, 2000, 'three replies');
    expect(p.chunks).toEqual([3]); // one write, one segment on loopback
    // answered in reverse: tags say which request each reply belongs to
    expect(got).toEqual([
      { tag: 2, err: null, words: [30, 31, 32] },
      { tag: 1, err: null, words: [20] },
      { tag: 0, err: null, words: [10, 11] },
    ]);
    expect(c.pendingCount).toBe(0);
  });

  it('tags start at `from`: a window over a longer list', async () => {
    const p = await peer();
    const c = await client(p.port);
    const got: Got = [];
    c.readMany(1, reqs, 1, 2, 500, collect(got));
    await waitFor(() => got.length === 2, 2000, 'two replies');
    expect(got.map((g) => [g.tag, g.words[0]]).sort()).toEqual([[1, 20], [2, 30]]);
  });

  it('an exception fails only its own request', async () => {
    const p = await peer();
    const c = await client(p.port);
    const got: Got = [];
    c.readMany(1, [reqs[0], { table: 'holding', address: 1000, count: 1 }, reqs[1]], 0, 3, 500, collect(got));
    await waitFor(() => got.length === 3, 2000, 'three replies');
    expect(got.find((g) => g.tag === 1)).toEqual({ tag: 1, err: 'exception: exception 2 (illegal data address)', words: [] });
    expect(got.filter((g) => g.err === null).map((g) => g.tag).sort()).toEqual([0, 2]);
  });

  it('a timeout fails every request still in flight; their late replies are never taken for later requests', async () => {
    const p = await peer({ hold: true });
    const c = await client(p.port);
    const got: Got = [];
    c.readMany(1, reqs, 0, 3, 100, collect(got));
    await waitFor(() => got.length === 3, 2000, 'three timeouts');
    expect(got.map((g) => [g.tag, g.err])).toEqual([
      [0, 'timeout: timeout after 100 ms'],
      [1, 'timeout: timeout after 100 ms'],
      [2, 'timeout: timeout after 100 ms'],
    ]);
    // the same reads again; the late replies to the first three arrive first and must be dropped
    const again: Got = [];
    c.readMany(1, [reqs[1], reqs[2], reqs[0]], 0, 3, 500, collect(again));
    await waitFor(() => p.chunks.length === 2, 2000, 'the second batch at the peer');
    p.release(); // all six replies, the late ones first, in one segment
    await waitFor(() => again.length === 3, 2000, 'three replies');
    expect(again.map((g) => [g.tag, g.words[0]]).sort()).toEqual([[0, 20], [1, 30], [2, 10]]);
    expect(c.isOpen).toBe(true);
  });

  it('abandon() from a callback drops the rest without calling back; a new request on the same connection is answered', async () => {
    const p = await peer();
    const c = await client(p.port);
    const got: Got = [];
    const onReply = collect(got);
    let next: Got | null = null;
    c.readMany(1, [reqs[0], { table: 'holding', address: 99, count: 1 }, { table: 'holding', address: 1000, count: 1 }], 0, 3, 300, (err, bytes, tag) => {
      onReply(err, bytes, tag);
      if (err && !next) {
        c.abandon();
        next = [];
        c.readMany(1, reqs, 0, 1, 500, collect(next)); // the next poll, sent from the callback
      }
    });
    await waitFor(() => next !== null && next.length === 1, 2000, 'the next poll');
    // the exception came first (reverse order), the poll gave up: request 0's reply and 99's timeout never call back
    expect(got).toEqual([{ tag: 2, err: 'exception: exception 2 (illegal data address)', words: [] }]);
    expect(next).toEqual([{ tag: 0, err: null, words: [10, 11] }]);
    // a read that is never answered: when its timeout fires, the abandoned unanswered read (address 99) is not called back
    const silent: Got = [];
    c.readMany(1, [{ table: 'holding', address: 99, count: 1 }], 0, 1, 300, collect(silent));
    await waitFor(() => silent.length === 1, 2000, 'the timeout');
    expect(silent[0].err).toBe('timeout: timeout after 300 ms');
    expect(got).toHaveLength(1);
    expect(c.pendingCount).toBe(0);
  });

  it('not connected: nothing is sent and one callback reports it', async () => {
    const c = new ModbusTcpClient();
    const got: Got = [];
    c.readMany(1, reqs, 0, 3, 500, collect(got));
    expect(got).toEqual([{ tag: 0, err: 'not_connected: not connected', words: [] }]);
  });
});

describe('a device polled with inFlight > 1, against the simulator on one gateway connection', () => {
  it('keeps up to inFlight requests out (3 of a 4-request plan, then the 4th) and every value lands in its own point, for its own unit', async () => {
    const s = await sim(4, 'gateway');
    const devs = devicesOf(s, { inFlight: 3 });
    expect(new Set(devs.map((d) => d.endpoint)).size).toBe(1);
    // values only this station's holding and discrete tables hold, so a reply given to the wrong request or unit shows
    devs.forEach((d, i) => {
      s.forcePoint(d.station, 'station_mode', 4000 + i);
      s.forcePoint(d.station, 'attended', i % 2 === 0);
    });
    const rec = recorder();
    const a = adapter(devs, rec);
    await a.start();
    const value = (k: string, id: string) => rec.last(k)?.find((x) => x.point.endsWith(`.${id}`))?.value;
    for (const [i, d] of devs.entries()) {
      const k = `${d.station}/${d.id}`;
      await waitFor(() => rec.allGood(k) && value(k, 'station_mode') === 4000 + i, 20_000, `${d.station} good with its forced values`);
      expect(value(k, 'attended')).toBe(i % 2 === 0);
      const t = value(k, 't_sec_supply') as number;
      expect(t).toBeGreaterThan(-50);
      expect(t).toBeLessThan(200);
    }
    const c = a.counters();
    expect(c.every((x) => x.polls >= 1 && x.errors === 0)).toBe(true);
  });
});
