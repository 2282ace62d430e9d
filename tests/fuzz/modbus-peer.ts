/**
 * A Modbus TCP peer that answers each request with the next scripted reply, well-formed or not,
 * and the fast-check arbitrary of those replies. Used by the Modbus fuzz tests.
 *
 * Valid replies carry register words below 0x8000 and coil bits whose last bit is off; every
 * malformed frame made from a reply carries words from 0x8000 up and that last bit on, so a
 * value stored from one shows by its range alone.
 */
import net from 'node:net';
import fc from 'fast-check';
import { buildBitsResponse, buildException, buildRegistersResponse, parseFrames, type ModbusRequest } from '../../simulators/mbap.ts';

/** Registers and coils each request of the fuzzed device reads. */
export const WORDS = 4;
export const BITS = 8;

export type Reply =
  | { k: 'valid'; words: number[]; bits: boolean[] }
  /** a valid reply written in two TCP segments */
  | { k: 'split'; at: number; words: number[]; bits: boolean[] }
  | { k: 'exception'; code: number }
  | { k: 'wrongFc'; fc: number }
  | { k: 'wrongTid'; delta: number }
  | { k: 'wrongUnit'; delta: number }
  /** the PDU's byte count field changed */
  | { k: 'byteCount'; delta: number }
  /** the MBAP length field changed */
  | { k: 'mbapLength'; len: number }
  | { k: 'truncated'; keep: number }
  /** a valid reply followed by junk bytes (framing lost after it) */
  | { k: 'trailing'; words: number[]; bits: boolean[]; junk: number[] }
  | { k: 'random'; bytes: number[] }
  | { k: 'silent' }
  | { k: 'close' };

const validWords = fc.array(fc.integer({ min: 0, max: 0x7fff }), { minLength: WORDS, maxLength: WORDS });
const validBits = fc.array(fc.boolean(), { minLength: BITS - 1, maxLength: BITS - 1 }).map((b) => [...b, false]);
const byte = fc.integer({ min: 0, max: 255 });

/** One reply of the peer; valid ones about a third of the time so polls succeed now and then. */
export const replyArb: fc.Arbitrary<Reply> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ k: fc.constant('valid' as const), words: validWords, bits: validBits }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('split' as const), at: fc.integer({ min: 1, max: 12 }), words: validWords, bits: validBits }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('exception' as const), code: byte }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('wrongFc' as const), fc: byte }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('wrongTid' as const), delta: fc.integer({ min: 1, max: 0xffff }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('wrongUnit' as const), delta: fc.integer({ min: 1, max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('byteCount' as const), delta: fc.integer({ min: 1, max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('mbapLength' as const), len: fc.integer({ min: 0, max: 0xffff }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('truncated' as const), keep: fc.integer({ min: 0, max: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('trailing' as const), words: validWords, bits: validBits, junk: fc.array(byte, { minLength: 1, maxLength: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('random' as const), bytes: fc.array(byte, { minLength: 1, maxLength: 40 }) }) },
  { weight: 1, arbitrary: fc.constant({ k: 'silent' as const }) },
  { weight: 1, arbitrary: fc.constant({ k: 'close' as const }) },
);

const POISON_WORDS = [0x8000, 0xffff, 0xc0de, 0x9abc];
const POISON_BITS = [true, true, false, true, false, false, true, true];

/** The frame a well-behaved server would send for `req`, with `words`/`bits` as the data. */
function answer(req: ModbusRequest, words: number[], bits: boolean[]): Buffer {
  if (req.fc === 1 || req.fc === 2) return buildBitsResponse(req.tid, req.unit, req.fc, bits.slice(0, 'quantity' in req ? req.quantity : BITS).map(Number));
  if (req.fc === 3 || req.fc === 4) return buildRegistersResponse(req.tid, req.unit, req.fc, words.slice(0, 'quantity' in req ? req.quantity : WORDS));
  return buildException(req.tid, req.unit, req.fc, 1);
}

export interface Peer {
  port: number;
  /** replies still to send; when empty the peer answers validly with {@link Peer.final} */
  script: Reply[];
  final: { words: number[]; bits: boolean[] };
  /** the request each sent reply answered, in order, with what it was */
  sent: Array<{ req: ModbusRequest; reply: Reply }>;
  stop(): Promise<void>;
}

/** Starts a peer on an ephemeral loopback port. */
export async function startPeer(script: Reply[], final: Peer['final']): Promise<Peer> {
  const socks = new Set<net.Socket>();
  const peer: Peer = { port: 0, script: [...script], final, sent: [], stop: async () => {} };
  const server = net.createServer((s) => {
    socks.add(s);
    s.on('error', () => {});
    s.on('close', () => socks.delete(s));
    let rest: Buffer = Buffer.alloc(0);
    s.on('data', (chunk: Buffer) => {
      const parsed = parseFrames(Buffer.concat([rest, chunk]));
      rest = parsed.rest;
      for (const req of parsed.requests) {
        if (s.destroyed) return;
        const reply: Reply = peer.script.shift() ?? { k: 'valid', ...peer.final };
        peer.sent.push({ req, reply });
        respond(s, req, reply);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  peer.port = (server.address() as net.AddressInfo).port;
  peer.stop = async () => {
    for (const s of socks) s.destroy();
    await new Promise((r) => server.close(r));
  };
  return peer;
}

function respond(s: net.Socket, req: ModbusRequest, r: Reply): void {
  const poison = () => answer(req, POISON_WORDS, POISON_BITS);
  switch (r.k) {
    case 'valid':
      return void s.write(answer(req, r.words, r.bits));
    case 'split': {
      const b = answer(req, r.words, r.bits);
      const at = Math.min(r.at, b.length - 1);
      s.write(b.subarray(0, at));
      // a later turn of the event loop, so the client sees two chunks
      setImmediate(() => s.writable && s.write(b.subarray(at)));
      return;
    }
    case 'exception':
      return void s.write(buildException(req.tid, req.unit, req.fc, r.code));
    case 'wrongFc': {
      const b = poison();
      b[7] = r.fc === req.fc ? (r.fc + 1) & 0xff : r.fc;
      return void s.write(b);
    }
    case 'wrongTid': {
      const b = poison();
      b.writeUInt16BE((req.tid + r.delta) & 0xffff, 0);
      return void s.write(b);
    }
    case 'wrongUnit': {
      const b = poison();
      b[6] = (req.unit + r.delta) & 0xff;
      return void s.write(b);
    }
    case 'byteCount': {
      const b = poison();
      b[8] = (b[8] + r.delta) & 0xff;
      return void s.write(b);
    }
    case 'mbapLength': {
      const b = poison();
      b.writeUInt16BE(r.len === b.readUInt16BE(4) ? (r.len + 1) & 0xffff : r.len, 4);
      return void s.write(b);
    }
    case 'truncated': {
      const b = poison();
      return void s.write(b.subarray(0, Math.min(r.keep, b.length - 1)));
    }
    case 'trailing':
      return void s.write(Buffer.concat([answer(req, r.words, r.bits), Buffer.from(r.junk)]));
    case 'random':
      return void s.write(Buffer.from(r.bytes));
    case 'silent':
      return;
    case 'close':
      return void s.destroy();
  }
}

/** Whether a value read for a register or a coil could only have come from a malformed reply. */
export const poisoned = {
  word: (v: unknown) => typeof v === 'number' && v >= 0x8000,
  lastBit: (v: unknown) => v === true,
};

/** The data a reply delivers to the request it answers, or null when it is not a valid reply. */
export function validData(r: Reply): { words: number[]; bits: boolean[] } | null {
  return r.k === 'valid' || r.k === 'split' || r.k === 'trailing' ? { words: r.words, bits: r.bits } : null;
}
