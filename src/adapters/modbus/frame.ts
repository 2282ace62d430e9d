/**
 * Modbus TCP (MBAP) framing for the client side, pure: the read request (functions 1-4) and the
 * check of a reply frame against the request in flight. MBAP header: transaction id (2 bytes),
 * protocol id 0 (2), length = unit id + PDU bytes (2), unit id (1); then the PDU: function code
 * (1), and for a read reply the byte count (1) and the data; for an exception the function code
 * with bit 0x80 set and the exception code (1).
 *
 * @example
 * writeReadRequest(buf, 0, 7, 1, 3, 0, 10);         // 12 bytes at buf[0..12)
 * const v = checkReply(buf, off, len, expectation); // on each frame the stream yields
 */

/** MBAP header bytes before the unit id: transaction id, protocol id, length */
export const MBAP_HEADER = 6;
/** Longest MBAP length field: unit id + a 253-byte PDU */
export const MAX_MBAP_LENGTH = 254;

/** The read function codes by table. */
export const READ_FC = { coil: 1, discrete: 2, holding: 3, input: 4 } as const;

/** Bytes of a read request frame. */
export const REQUEST_BYTES = 12;

/** Writes a read request frame into `b` at `off` (several requests go out in one buffer). */
export function writeReadRequest(b: Buffer, off: number, tid: number, unit: number, fc: number, address: number, count: number): void {
  b.writeUInt16BE(tid, off);
  b.writeUInt16BE(0, off + 2);
  b.writeUInt16BE(6, off + 4);
  b[off + 6] = unit;
  b[off + 7] = fc;
  b.writeUInt16BE(address, off + 8);
  b.writeUInt16BE(count, off + 10);
}

/**
 * Where the next frame of a byte stream ends: the index after it, 0 when more bytes are needed,
 * or an error message when the stream is not Modbus TCP (protocol id not 0, impossible length):
 * framing is lost and the connection must go.
 */
export function frameEnd(buf: Buffer, off: number, end: number): number | string {
  if (end - off < MBAP_HEADER + 1) return 0;
  const pid = buf.readUInt16BE(off + 2);
  if (pid !== 0) return `protocol id ${pid} is not 0 (Modbus)`;
  const len = buf.readUInt16BE(off + 4);
  if (len < 3 || len > MAX_MBAP_LENGTH) return `MBAP length ${len} out of 3..${MAX_MBAP_LENGTH}`;
  return end - off < MBAP_HEADER + len ? 0 : off + MBAP_HEADER + len;
}

/** What a reply to the request in flight must carry. */
export interface Expected {
  tid: number;
  unit: number;
  fc: number;
  /** the data bytes the request asked for */
  bytes: number;
}

/**
 * The verdict on one whole frame `buf[off..end)` (see {@link frameEnd}) for the request in
 * flight: `stray` (another transaction id: a late reply to an earlier request, ignored), a
 * Modbus exception code, a malformed reply's message, or `ok` (data bytes at `off + 9`).
 */
export type Verdict = { k: 'ok' } | { k: 'stray' } | { k: 'exception'; code: number } | { k: 'malformed'; message: string };

const OK: Verdict = { k: 'ok' };
const STRAY: Verdict = { k: 'stray' };

export function checkReply(buf: Buffer, off: number, end: number, want: Expected): Verdict {
  if (buf.readUInt16BE(off) !== want.tid) return STRAY;
  const len = end - off - MBAP_HEADER;
  const unit = buf[off + 6];
  const fc = buf[off + 7];
  if (unit !== want.unit) return { k: 'malformed', message: `unit id ${unit}, expected ${want.unit}` };
  if (fc === (want.fc | 0x80)) {
    if (len !== 3) return { k: 'malformed', message: `exception reply of ${len - 1} bytes, expected 2` };
    return { k: 'exception', code: buf[off + 8] };
  }
  if (fc !== want.fc) return { k: 'malformed', message: `function code ${fc}, expected ${want.fc}` };
  const count = buf[off + 8];
  if (count !== want.bytes || len !== 3 + count) return { k: 'malformed', message: `byte count ${count} in a frame of ${len - 3} data bytes, expected ${want.bytes}` };
  return OK;
}
