// The history formats of `heatwatch import` / `export`: CSV records and both line protocol
// layouts read into samples, and every exported line read back to the sample it came from.
import { describe, expect, it } from 'vitest';
import { csvHeader, csvLine, parseCsvRecord, parseTs, splitCsv, type CsvColumns } from '../../src/cli/import-csv.ts';
import { lineTs, parseLine, pointLine, pollLines } from '../../src/cli/import-line.ts';
import type { Sample } from '../../src/model.ts';

const T = Date.UTC(2024, 0, 15, 8, 0, 0);
const cols = csvHeader('ts,point,value,quality') as CsvColumns;

describe('CSV', () => {
  it('splits quoted fields as RFC 4180: commas, doubled quotes, newlines inside quotes', () => {
    expect(splitCsv('a,b,,d')).toEqual(['a', 'b', '', 'd']);
    expect(splitCsv('"a,1","b ""x""",c,""')).toEqual(['a,1', 'b "x"', 'c', '']);
    expect(splitCsv('"a\nb",c')).toEqual(['a\nb', 'c']);
    expect(() => splitCsv('"a,b')).toThrow('unterminated');
    expect(() => splitCsv('"a"x,b')).toThrow('after a closing quote');
  });

  it('reads the header in any column order, quality optional, a BOM ignored', () => {
    expect(csvHeader('\uFEFFpoint,ts,value')).toEqual({ ts: 1, point: 0, value: 2, quality: -1, count: 3 });
    expect(csvHeader('time,point,value')).toMatch('missing ts');
  });

  it('reads ms epoch and ISO 8601 with an offset; refuses a bare local time', () => {
    expect(parseTs(String(T))).toBe(T);
    expect(parseTs('2024-01-15T08:00:00Z')).toBe(T);
    expect(parseTs('2024-01-15T16:00:00.000+08:00')).toBe(T);
    expect(parseTs('2024-01-15 16:00:00+0800')).toBe(T);
    expect(parseTs('2024-01-15T08:00:00')).toBeNull();
    expect(parseTs('2024-01-15')).toBeNull();
    expect(parseTs('yesterday')).toBeNull();
  });

  it.each<[string, Sample | RegExp]>([
    [`${T},a.b.c,1.5,good`, { point: 'a.b.c', ts: T, value: 1.5, quality: 'good' }],
    [`${T},a.b.c,-2e3,uncertain`, { point: 'a.b.c', ts: T, value: -2000, quality: 'uncertain' }],
    [`${T},a.b.c,true,`, { point: 'a.b.c', ts: T, value: true, quality: 'good' }],
    [`${T},a.b.c,false,good`, { point: 'a.b.c', ts: T, value: false, quality: 'good' }],
    [`${T},a.b.c,,bad`, { point: 'a.b.c', ts: T, value: null, quality: 'bad' }],
    [`${T},a.b.c,,`, { point: 'a.b.c', ts: T, value: null, quality: 'bad' }],
    [`${T},a.b.c,7,bad`, { point: 'a.b.c', ts: T, value: null, quality: 'bad' }],
    [`"${T}","a.b.c","1",good`, { point: 'a.b.c', ts: T, value: 1, quality: 'good' }],
    [`${T},a.b.c,,good`, /empty value with quality good/],
    [`${T},a.b.c,0x10,good`, /not a number/],
    [`${T},a.b.c,NaN,good`, /not a number/],
    [`${T},a.b.c,1,fine`, /quality 'fine'/],
    [`${T},a.b.c,1`, /3 fields, the header has 4/],
    [`soon,a.b.c,1,good`, /ts 'soon'/],
  ])('%s', (line, want) => {
    const got = parseCsvRecord(line, cols);
    if (want instanceof RegExp) expect(got).toMatch(want);
    else expect(got).toEqual(want);
  });
});

describe('line protocol', () => {
  it('reads timestamps by digit count, or at the precision given', () => {
    expect(lineTs(`${T}000000`, 'auto')).toBe(T);
    expect(lineTs(`${T}123456`, 'auto')).toBe(T); // sub-ms digits dropped, no float rounding
    expect(lineTs(`${T}000`, 'auto')).toBe(T);
    expect(lineTs(String(T), 'auto')).toBe(T);
    expect(lineTs(String(T / 1000), 'auto')).toBe(T);
    expect(lineTs(String(T), 'ns')).toBe(Math.floor(T / 1e6));
    expect(lineTs('1.5', 'auto')).toBeNull();
  });

  it('reads the per-poll layout: field key = point, @bad / @uncertain / @bool markers, other tags ignored', () => {
    const got = parseLine(`poll,area=north,device=plc,station=hs-001 t=71.5,p=0.4,run=1,@bad="lvl",@uncertain="p",@bool="run" ${T}000000`, 'auto');
    expect(got).toEqual([
      { point: 'hs-001.plc.t', ts: T, value: 71.5, quality: 'good' },
      { point: 'hs-001.plc.p', ts: T, value: 0.4, quality: 'uncertain' },
      { point: 'hs-001.plc.run', ts: T, value: true, quality: 'good' },
      { point: 'hs-001.plc.lvl', ts: T, value: null, quality: 'bad' },
    ]);
    // a plain poll line (Telegraf-like: no markers, integer and boolean fields)
    expect(parseLine(`modbus,station=s,device=d a=3i,b=true ${T}`, 'auto')).toEqual([
      { point: 's.d.a', ts: T, value: 3, quality: 'good' },
      { point: 's.d.b', ts: T, value: true, quality: 'good' },
    ]);
  });

  it('reads the per-point layout of heatwatch ≤ 0.x', () => {
    expect(parseLine(`telemetry,station=s,device=d,point=t v=1.5,q=1i ${T}000000`, 'auto')).toEqual([{ point: 's.d.t', ts: T, value: 1.5, quality: 'uncertain' }]);
    expect(parseLine(`telemetry,station=s,device=d,point=r v=1,b=true,q=0i ${T}000000`, 'auto')).toEqual([{ point: 's.d.r', ts: T, value: true, quality: 'good' }]);
    expect(parseLine(`telemetry,station=s,device=d,point=t q=2i ${T}000000`, 'auto')).toEqual([{ point: 's.d.t', ts: T, value: null, quality: 'bad' }]);
  });

  it.each([
    [`poll,station=s,device=d t=1`, /no timestamp/],
    [`poll,station=s t=1 ${T}`, /station and device/],
    [`poll,station=s,device=d t=abc ${T}`, /cannot read 'abc'/],
    [`poll,station=s,device=d t="x" ${T}`, /a string is not a sample value/],
    [`poll,station=s,device=d t="x ${T}`, /unterminated string/],
    [`poll,station=s,device=d @bad=1 ${T}`, /@bad must be a string/],
    [`telemetry_1m,station=s,device=d,point=t sum=1,count=2 ${T}`, /rollup line/],
    [`poll,station=s,device=d t=1 12:00`, /not an integer/],
  ])('refuses %s', (line, want) => {
    expect(parseLine(line, 'auto')).toEqual([expect.stringMatching(want)]);
  });

  it('reads escaped tag values and field keys', () => {
    expect(parseLine(`poll,station=a\\ b,device=d\\,e t\\=x=1 ${T}`, 'auto')).toEqual([{ point: 'a b.d,e.t=x', ts: T, value: 1, quality: 'good' }]);
  });
});

describe('export lines read back to the same samples', () => {
  const batch: Sample[] = [
    { point: 'hs-001.plc.t', ts: T, value: 71.25, quality: 'good' },
    { point: 'hs-001.plc.run', ts: T, value: false, quality: 'good' },
    { point: 'hs-001.plc.p', ts: T, value: 0.1 + 0.2, quality: 'uncertain' },
    { point: 'hs-001.plc.lvl', ts: T, value: null, quality: 'bad' },
    { point: 'hs-002.ua.t', ts: T, value: -1e-7, quality: 'good' },
    { point: 'hs-001.plc.t', ts: T + 1000, value: 72, quality: 'good' },
  ];
  const byKey = (a: Sample, b: Sample) => a.ts - b.ts || a.point.localeCompare(b.point);

  it('CSV, ISO and ms times', () => {
    for (const iso of [true, false]) {
      const back = batch.map((s) => parseCsvRecord(csvLine(s, iso).trimEnd(), cols));
      expect(back).toEqual(batch);
    }
  });

  it('line protocol, per poll (one line per device and ts) and per point', () => {
    const text = pollLines(batch, (s) => (s === 'hs-001' ? 'north' : undefined));
    expect(text.split('\n').filter(Boolean)).toHaveLength(3);
    expect(text).toContain(`poll,area=north,device=plc,station=hs-001 t=71.25,run=0,p=0.30000000000000004,@bad="lvl",@uncertain="p",@bool="run" ${T}000000`);
    const polled = text.split('\n').filter(Boolean).flatMap((l) => parseLine(l, 'auto')) as Sample[];
    expect(polled.sort(byKey)).toEqual([...batch].sort(byKey));
    const pointed = batch.flatMap((s) => parseLine(pointLine(s).trimEnd(), 'auto'));
    expect(pointed).toEqual(batch);
  });
});
