import { describe, expect, it } from 'vitest';
import { REQUEST_BYTES, checkReply, frameEnd, writeReadRequest } from '../../../src/adapters/modbus/frame.ts';
import { buildBitsResponse, buildException, buildRegistersResponse, parseFrames } from '../../../simulators/mbap.ts';

const want = { tid: 7, unit: 3, fc: 3, bytes: 4 };

describe('Modbus TCP client framing', () => {
  it('writes read requests side by side in one buffer, which the simulator parses back', () => {
    expect(REQUEST_BYTES).toBe(12);
    const b = Buffer.alloc(2 * REQUEST_BYTES);
    writeReadRequest(b, 0, 0xbeef, 17, 4, 300, 125);
    writeReadRequest(b, REQUEST_BYTES, 0xbef0, 17, 1, 0, 2000);
    expect(parseFrames(b).requests).toEqual([
      { tid: 0xbeef, unit: 17, fc: 4, address: 300, quantity: 125 },
      { tid: 0xbef0, unit: 17, fc: 1, address: 0, quantity: 2000 },
    ]);
  });

  it('finds frame ends in a stream, waits for a partial frame, and refuses what is not Modbus TCP', () => {
    const a = buildRegistersResponse(7, 3, 3, [1, 2]);
    const b = buildBitsResponse(8, 3, 1, [1, 0, 1]);
    const s = Buffer.concat([a, b]);
    expect(frameEnd(s, 0, s.length)).toBe(a.length);
    expect(frameEnd(s, a.length, s.length)).toBe(s.length);
    expect(frameEnd(s, a.length, s.length - 1)).toBe(0);
    expect(frameEnd(s, 0, 6)).toBe(0);
    const bad = Buffer.from(a);
    bad.writeUInt16BE(1, 2);
    expect(frameEnd(bad, 0, bad.length)).toBe('protocol id 1 is not 0 (Modbus)');
    bad.writeUInt16BE(0, 2);
    bad.writeUInt16BE(255, 4);
    expect(frameEnd(bad, 0, bad.length)).toBe('MBAP length 255 out of 3..254');
    bad.writeUInt16BE(2, 4);
    expect(frameEnd(bad, 0, bad.length)).toBe('MBAP length 2 out of 3..254');
  });

  it('takes only a reply to the request in flight, with its unit, function and byte count', () => {
    const check = (f: Buffer) => checkReply(f, 0, f.length, want);
    expect(check(buildRegistersResponse(7, 3, 3, [1, 2]))).toEqual({ k: 'ok' });
    expect(check(buildRegistersResponse(6, 3, 3, [1, 2]))).toEqual({ k: 'stray' });
    expect(check(buildException(7, 3, 3, 2))).toEqual({ k: 'exception', code: 2 });
    expect(check(buildRegistersResponse(7, 4, 3, [1, 2]))).toEqual({ k: 'malformed', message: 'unit id 4, expected 3' });
    expect(check(buildRegistersResponse(7, 3, 4, [1, 2]))).toEqual({ k: 'malformed', message: 'function code 4, expected 3' });
    expect(check(buildRegistersResponse(7, 3, 3, [1]))).toEqual({ k: 'malformed', message: 'byte count 2 in a frame of 2 data bytes, expected 4' });
    // a byte count that disagrees with the MBAP length: data would be read past the frame
    const long = buildRegistersResponse(7, 3, 3, [1, 2, 3]);
    long[8] = 4;
    expect(check(long)).toEqual({ k: 'malformed', message: 'byte count 4 in a frame of 6 data bytes, expected 4' });
    const exc = Buffer.concat([buildException(7, 3, 3, 2), Buffer.from([0])]);
    exc.writeUInt16BE(4, 4);
    expect(check(exc)).toEqual({ k: 'malformed', message: 'exception reply of 3 bytes, expected 2' });
  });
});
