/**
 * Modbus TCP (MBAP) frame codec, pure. Modbus Application Protocol v1.1b3 §4.1 (MBAP header:
 * transaction id, protocol id 0, length = unit id + PDU bytes, unit id) and §6 (functions).
 */

export const EXC = {
  ILLEGAL_FUNCTION: 0x01,
  ILLEGAL_DATA_ADDRESS: 0x02,
  ILLEGAL_DATA_VALUE: 0x03,
  SERVER_DEVICE_FAILURE: 0x04,
  GATEWAY_TARGET_FAILED: 0x0b,
} as const;

export type ModbusRequest =
  | { tid: number; unit: number; fc: 1 | 2 | 3 | 4; address: number; quantity: number }
  | { tid: number; unit: number; fc: 5; address: number; value: boolean }
  | { tid: number; unit: number; fc: 6; address: number; value: number }
  | { tid: number; unit: number; fc: 15; address: number; quantity: number; values: boolean[] }
  | { tid: number; unit: number; fc: 16; address: number; quantity: number; values: number[] }
  /** a well-framed request the server must answer with an exception */
  | { tid: number; unit: number; fc: number; exception: number };

export interface ParseResult {
  requests: ModbusRequest[];
  /** bytes of an incomplete frame, to be prefixed to the next chunk */
  rest: Buffer;
  /** set when the stream is not Modbus TCP (protocol id ≠ 0 or impossible length): close the connection */
  error?: string;
}

const MAX_BITS = 2000;
const MAX_REGS = 125;
const MAX_WRITE_BITS = 1968;
const MAX_WRITE_REGS = 123;

/** Splits a byte stream into requests; handles partial frames and several frames per chunk. */
export function parseFrames(buf: Buffer): ParseResult {
  const requests: ModbusRequest[] = [];
  let off = 0;
  while (buf.length - off >= 7) {
    const pid = buf.readUInt16BE(off + 2);
    const len = buf.readUInt16BE(off + 4);
    if (pid !== 0) return { requests, rest: Buffer.alloc(0), error: `protocol id ${pid} is not 0 (Modbus)` };
    if (len < 2 || len > 254) return { requests, rest: Buffer.alloc(0), error: `MBAP length ${len} out of 2..254` };
    if (buf.length - off < 6 + len) break;
    const tid = buf.readUInt16BE(off);
    const unit = buf[off + 6];
    requests.push(parsePdu(tid, unit, buf.subarray(off + 7, off + 6 + len)));
    off += 6 + len;
  }
  return { requests, rest: off === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(off)) };
}

/** Decodes one request PDU (function code + data). */
export function parsePdu(tid: number, unit: number, pdu: Buffer): ModbusRequest {
  const fc = pdu[0];
  const bad = (exception: number): ModbusRequest => ({ tid, unit, fc, exception });
  switch (fc) {
    case 1:
    case 2:
    case 3:
    case 4: {
      if (pdu.length !== 5) return bad(EXC.ILLEGAL_DATA_VALUE);
      const address = pdu.readUInt16BE(1);
      const quantity = pdu.readUInt16BE(3);
      const max = fc <= 2 ? MAX_BITS : MAX_REGS;
      if (quantity < 1 || quantity > max) return bad(EXC.ILLEGAL_DATA_VALUE);
      if (address + quantity > 65536) return bad(EXC.ILLEGAL_DATA_ADDRESS);
      return { tid, unit, fc, address, quantity };
    }
    case 5: {
      if (pdu.length !== 5) return bad(EXC.ILLEGAL_DATA_VALUE);
      const v = pdu.readUInt16BE(3);
      if (v !== 0xff00 && v !== 0) return bad(EXC.ILLEGAL_DATA_VALUE);
      return { tid, unit, fc, address: pdu.readUInt16BE(1), value: v === 0xff00 };
    }
    case 6:
      if (pdu.length !== 5) return bad(EXC.ILLEGAL_DATA_VALUE);
      return { tid, unit, fc, address: pdu.readUInt16BE(1), value: pdu.readUInt16BE(3) };
    case 15: {
      if (pdu.length < 6) return bad(EXC.ILLEGAL_DATA_VALUE);
      const address = pdu.readUInt16BE(1);
      const quantity = pdu.readUInt16BE(3);
      const count = pdu[5];
      if (quantity < 1 || quantity > MAX_WRITE_BITS || count !== Math.ceil(quantity / 8) || pdu.length !== 6 + count) {
        return bad(EXC.ILLEGAL_DATA_VALUE);
      }
      if (address + quantity > 65536) return bad(EXC.ILLEGAL_DATA_ADDRESS);
      const values: boolean[] = [];
      for (let i = 0; i < quantity; i++) values.push(((pdu[6 + (i >> 3)] >> (i & 7)) & 1) === 1);
      return { tid, unit, fc, address, quantity, values };
    }
    case 16: {
      if (pdu.length < 6) return bad(EXC.ILLEGAL_DATA_VALUE);
      const address = pdu.readUInt16BE(1);
      const quantity = pdu.readUInt16BE(3);
      const count = pdu[5];
      if (quantity < 1 || quantity > MAX_WRITE_REGS || count !== quantity * 2 || pdu.length !== 6 + count) {
        return bad(EXC.ILLEGAL_DATA_VALUE);
      }
      if (address + quantity > 65536) return bad(EXC.ILLEGAL_DATA_ADDRESS);
      const values: number[] = [];
      for (let i = 0; i < quantity; i++) values.push(pdu.readUInt16BE(6 + 2 * i));
      return { tid, unit, fc, address, quantity, values };
    }
    default:
      return bad(EXC.ILLEGAL_FUNCTION);
  }
}

function frame(tid: number, unit: number, pduLen: number): Buffer {
  const b = Buffer.allocUnsafe(7 + pduLen);
  b.writeUInt16BE(tid & 0xffff, 0);
  b.writeUInt16BE(0, 2);
  b.writeUInt16BE(pduLen + 1, 4);
  b[6] = unit;
  return b;
}

/** Response to FC 1/2: `bits[i]` non-zero = on, packed LSB first. */
export function buildBitsResponse(tid: number, unit: number, fc: 1 | 2, bits: ArrayLike<number>): Buffer {
  const n = Math.ceil(bits.length / 8);
  const b = frame(tid, unit, 2 + n);
  b[7] = fc;
  b[8] = n;
  b.fill(0, 9);
  for (let i = 0; i < bits.length; i++) if (bits[i]) b[9 + (i >> 3)] |= 1 << (i & 7);
  return b;
}

/** Response to FC 3/4. */
export function buildRegistersResponse(tid: number, unit: number, fc: 3 | 4, regs: ArrayLike<number>): Buffer {
  const b = frame(tid, unit, 2 + 2 * regs.length);
  b[7] = fc;
  b[8] = 2 * regs.length;
  for (let i = 0; i < regs.length; i++) b.writeUInt16BE(regs[i] & 0xffff, 9 + 2 * i);
  return b;
}

/** Response to FC 5/6 (echo) and 15/16 (address + quantity). */
export function buildWriteResponse(tid: number, unit: number, fc: 5 | 6 | 15 | 16, address: number, word: number): Buffer {
  const b = frame(tid, unit, 5);
  b[7] = fc;
  b.writeUInt16BE(address, 8);
  b.writeUInt16BE(word & 0xffff, 10);
  return b;
}

/** Exception response: function code | 0x80 and the exception code. */
export function buildException(tid: number, unit: number, fc: number, code: number): Buffer {
  const b = frame(tid, unit, 2);
  b[7] = (fc | 0x80) & 0xff;
  b[8] = code;
  return b;
}

/** Builds a request frame (used by tests and tools). */
export function buildRequest(tid: number, unit: number, fc: number, data: number[] | Buffer): Buffer {
  const d = Buffer.from(data);
  const b = frame(tid, unit, 1 + d.length);
  b[7] = fc;
  d.copy(b, 8);
  return b;
}
