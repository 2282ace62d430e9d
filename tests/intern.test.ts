import { serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../src/config/load.ts';
import { intern, ownCopy, ownStrings } from '../src/intern.ts';

/** V8's serializer tags a string by how it is stored: '"' one byte per character, 'c' two */
const storage = (s: string) => (serialize(s)[2] === 0x22 ? 'one-byte' : serialize(s)[2] === 0x63 ? 'two-byte' : 'other');

const yaml = `
site: { name: 南岗供热公司, timezone: Asia/Shanghai }
stations:
  - id: hs-001
    name: 南岗1号站
    devices:
      - id: plc
        endpoint: modbus+tcp://127.0.0.1:1502
        points:
          - { id: t_sec_supply, name: 二次供水温度, table: holding, address: 0, type: int16, scale: 0.1 }
`;

describe('own copies of parsed strings', () => {
  it('stores ASCII one byte per character even when the text has Chinese in it', () => {
    const text = `a: ${'南'.repeat(3)}\nb: hs-0001.plc.t_sec_supply\n`;
    const doc = { b: text.slice(text.indexOf('hs-'), -1), a: text.slice(3, 6) };
    expect(storage(doc.b)).toBe('two-byte'); // what V8 does with a slice of such a text
    ownStrings(doc);
    expect(doc).toEqual({ b: 'hs-0001.plc.t_sec_supply', a: '南南南' });
    expect(storage(doc.b)).toBe('one-byte');
    expect(storage(intern(`${doc.b}.x`))).toBe('one-byte');
    expect(storage(doc.a)).toBe('two-byte');
  });

  it('leaves a string a copy would change as it is, and survives aliases inside themselves', () => {
    expect(ownCopy('a\ud800b')).toBe('a\ud800b');
    const loop: unknown[] = ['x'];
    loop.push(loop);
    expect(ownStrings(loop)[0]).toBe('x');
  });

  it('gives the loaded config one-byte ids, so the point ids built from them are too', () => {
    const cfg = parseConfigText(yaml);
    const st = cfg.stations[0];
    expect(storage(st.id)).toBe('one-byte');
    expect(storage(st.devices[0].endpoint as string)).toBe('one-byte');
    expect(storage(`${st.id}.${st.devices[0].id}.${st.devices[0].points[0].id}`)).toBe('one-byte');
    expect(st.name).toBe('南岗1号站');
  });
});
