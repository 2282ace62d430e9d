import { describe, expect, it } from 'vitest';
import { buildBitsResponse, buildException, buildRegistersResponse, buildRequest, buildWriteResponse, parseFrames } from '../../simulators/mbap.ts';
import { encodeWords, RegisterMap, templateSpecs } from '../../simulators/registers.ts';
import { loadTemplate } from '../../simulators/templates.ts';

const read = (tid: number, unit: number, fc: number, addr: number, qty: number) =>
  buildRequest(tid, unit, fc, [addr >> 8, addr & 0xff, qty >> 8, qty & 0xff]);

describe('MBAP codec', () => {
  it('parses one read request', () => {
    const r = parseFrames(read(7, 3, 3, 100, 10));
    expect(r.requests).toEqual([{ tid: 7, unit: 3, fc: 3, address: 100, quantity: 10 }]);
    expect(r.rest.length).toBe(0);
  });

  it('keeps a partial frame and completes it with the next chunk', () => {
    const f = read(1, 1, 4, 0, 2);
    const a = parseFrames(f.subarray(0, 5));
    expect(a.requests).toHaveLength(0);
    const b = parseFrames(Buffer.concat([a.rest, f.subarray(5, 9)]));
    expect(b.requests).toHaveLength(0);
    const c = parseFrames(Buffer.concat([b.rest, f.subarray(9)]));
    expect(c.requests).toEqual([{ tid: 1, unit: 1, fc: 4, address: 0, quantity: 2 }]);
  });

  it('parses several frames in one chunk, leaving the tail', () => {
    const buf = Buffer.concat([read(1, 1, 1, 0, 16), read(2, 2, 2, 8, 3), read(3, 1, 3, 0, 1).subarray(0, 8)]);
    const r = parseFrames(buf);
    expect(r.requests.map((q) => q.tid)).toEqual([1, 2]);
    expect(r.rest.length).toBe(8);
  });

  it('flags a stream that is not Modbus TCP', () => {
    const f = read(1, 1, 3, 0, 1);
    f.writeUInt16BE(5, 2);
    expect(parseFrames(f).error).toMatch(/protocol id/);
    const g = read(1, 1, 3, 0, 1);
    g.writeUInt16BE(1, 4);
    expect(parseFrames(g).error).toMatch(/length/);
  });

  it('turns bad quantities and unknown functions into exceptions', () => {
    expect(parseFrames(read(1, 1, 3, 0, 126)).requests[0]).toMatchObject({ exception: 3 });
    expect(parseFrames(read(1, 1, 1, 0, 2001)).requests[0]).toMatchObject({ exception: 3 });
    expect(parseFrames(read(1, 1, 3, 65535, 2)).requests[0]).toMatchObject({ exception: 2 });
    expect(parseFrames(buildRequest(1, 1, 0x2b, [0x0e, 1, 0])).requests[0]).toMatchObject({ fc: 0x2b, exception: 1 });
  });

  it('parses writes 5, 6, 15, 16', () => {
    const [a, b, c, d] = parseFrames(
      Buffer.concat([
        buildRequest(1, 1, 5, [0, 1, 0xff, 0]),
        buildRequest(2, 1, 6, [0, 2, 0x12, 0x34]),
        buildRequest(3, 1, 15, [0, 0, 0, 10, 2, 0b00000101, 0b10]),
        buildRequest(4, 1, 16, [0, 4, 0, 2, 4, 0, 1, 0xff, 0xff]),
      ]),
    ).requests;
    expect(a).toMatchObject({ fc: 5, address: 1, value: true });
    expect(b).toMatchObject({ fc: 6, address: 2, value: 0x1234 });
    expect(c).toMatchObject({ fc: 15, quantity: 10, values: [true, false, true, false, false, false, false, false, false, true] });
    expect(d).toMatchObject({ fc: 16, address: 4, values: [1, 0xffff] });
  });

  it('builds responses and exceptions', () => {
    expect([...buildRegistersResponse(9, 2, 3, [0x0102, 0xa0b0])]).toEqual([0, 9, 0, 0, 0, 7, 2, 3, 4, 1, 2, 0xa0, 0xb0]);
    expect([...buildBitsResponse(1, 1, 2, [1, 0, 1, 0, 0, 0, 0, 0, 1])]).toEqual([0, 1, 0, 0, 0, 5, 1, 2, 2, 0b101, 1]);
    expect([...buildException(5, 7, 3, 0x0b)]).toEqual([0, 5, 0, 0, 0, 3, 7, 0x83, 0x0b]);
    expect([...buildWriteResponse(1, 1, 5, 3, 0xff00)]).toEqual([0, 1, 0, 0, 0, 6, 1, 5, 0, 3, 0xff, 0]);
  });
});

describe('register encoding', () => {
  const words = (v: number, type: 'float32' | 'float64' | 'uint32' | 'int16', order: 'ABCD' | 'CDAB' | 'BADC' | 'DCBA') => {
    const out = new Uint16Array(4);
    encodeWords(v, type, order, out, 0);
    return [...out.subarray(0, type === 'float64' ? 4 : type === 'int16' ? 1 : 2)];
  };
  it('honours word and byte order', () => {
    // 123.456 as float32 = 0x42F6E979
    expect(words(123.456, 'float32', 'ABCD')).toEqual([0x42f6, 0xe979]);
    expect(words(123.456, 'float32', 'CDAB')).toEqual([0xe979, 0x42f6]);
    expect(words(123.456, 'float32', 'BADC')).toEqual([0xf642, 0x79e9]);
    expect(words(123.456, 'float32', 'DCBA')).toEqual([0x79e9, 0xf642]);
    expect(words(1, 'float64', 'ABCD')).toEqual([0x3ff0, 0, 0, 0]);
    expect(words(1, 'float64', 'CDAB')).toEqual([0, 0, 0, 0x3ff0]);
    expect(words(70000, 'uint32', 'ABCD')).toEqual([1, 70000 - 65536]);
    expect(words(-5, 'int16', 'ABCD')).toEqual([0xfffb]);
  });

  it('encodes scale, bits and leaves gaps zero', () => {
    const map = new RegisterMap(templateSpecs(loadTemplate('hs-plc')));
    const img = map.newImage();
    const vals: Record<string, number | boolean> = { p_sec_supply: 0.345, heat_energy: 12345.67, pump1_fault: true, pump2_fault: true, t_outdoor: -12.3 };
    map.encodeTable('holding', img, (p) => vals[p.id] ?? 0);
    map.encodeTable('input', img, (p) => vals[p.id] ?? 0);
    expect(img.holding[10]).toBe(345);
    expect(img.holding[22] * 65536 + img.holding[23]).toBe(1234567);
    expect(img.holding[32]).toBe(0b11);
    expect(img.holding[17]).toBe(0);
    expect(img.input[0]).toBe(0x10000 - 123);
    expect(map.inSpan('holding', 30, 10)).toBe(true);
    // the holding span ends after station_mode at 36
    expect(map.inSpan('holding', 36, 10)).toBe(true);
    expect(map.inSpan('holding', 37, 10)).toBe(false);
    expect(map.inSpan('coil', 2, 5)).toBe(false);
  });
});

describe('templates', () => {
  it('hs-plc and hs-plc-3zone validate, mix encodings and do not overlap', () => {
    for (const name of ['hs-plc', 'hs-plc-3zone'] as const) {
      const t = loadTemplate(name);
      const used = new Map<string, string>();
      for (const p of templateSpecs(t)) {
        const w = p.table === 'coil' || p.table === 'discrete' ? 1 : { bool: 1, int16: 1, uint16: 1, int32: 2, uint32: 2, float32: 2, float64: 4 }[p.type];
        for (let i = 0; i < w; i++) {
          const k = `${p.table}:${p.address + i}${p.bit !== undefined ? `.${p.bit}` : ''}`;
          expect(used.get(k), `${name} ${p.id} overlaps ${used.get(k)}`).toBeUndefined();
          used.set(k, p.id);
        }
      }
    }
    const one = loadTemplate('hs-plc');
    expect(new Set(one.points.map((p) => p.order ?? 'ABCD'))).toEqual(new Set(['ABCD', 'CDAB', 'BADC', 'DCBA']));
    expect(new Set(one.points.map((p) => p.type))).toEqual(new Set(['bool', 'int16', 'uint16', 'uint32', 'float32', 'float64']));
    const three = loadTemplate('hs-plc-3zone');
    expect(three.points.length).toBeGreaterThanOrEqual(110);
    expect(three.points.map((p) => p.id)).toContain('z3_t_sec_supply');
  });
});
